#include "mqtls/tls/engine.hpp"

#include <mbedtls/error.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>

#include <cstring>
#include <new>
#include <optional>
#include <string>

#include "civil_time.hpp"
#include "config_impl.hpp"
#include "handshake_observer.hpp"
#include "mbedtls_internals.hpp"
#include "peer_verification.hpp"
#include "session_seal.hpp"

namespace mqtls::tls {
namespace {

// A fixed-capacity byte queue over its own allocation or the caller's memory (EngineBuffers):
// appended at the back, consumed from the front.
class ByteQueue {
public:
    ByteQueue() noexcept
        : owned_(new (std::nothrow) std::uint8_t[default_queue_capacity]),
          data_(owned_.get()),
          capacity_(owned_ ? default_queue_capacity : 0) {}
    explicit ByteQueue(mutable_bytes memory) noexcept
        : data_(memory.data()), capacity_(memory.size()) {}
    [[nodiscard]] bool usable() const noexcept { return data_ != nullptr && capacity_ > 0; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] bytes_view pending() const noexcept { return {data_ + begin_, end_ - begin_}; }
    std::size_t append(const std::uint8_t* bytes, std::size_t count) noexcept {
        if (!usable()) return 0;
        compact();
        const std::size_t room = capacity_ - end_;
        const std::size_t taken = count < room ? count : room;
        if (taken > 0) std::memcpy(data_ + end_, bytes, taken);
        end_ += taken;
        return taken;
    }
    std::size_t take(std::uint8_t* out, std::size_t count) noexcept {
        const std::size_t available = end_ - begin_;
        const std::size_t taken = count < available ? count : available;
        if (taken > 0) std::memcpy(out, data_ + begin_, taken);
        consume(taken);
        return taken;
    }
    void consume(std::size_t count) noexcept {
        const std::size_t available = end_ - begin_;
        begin_ += count < available ? count : available;
        if (begin_ == end_) begin_ = end_ = 0;
    }

private:
    void compact() noexcept {
        if (begin_ == 0) return;
        std::memmove(data_, data_ + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    std::unique_ptr<std::uint8_t[]> owned_;
    std::uint8_t* data_ = nullptr;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

// certificate_required (RFC 8446 6.2): a TLS 1.3 server wanted a client certificate.
constexpr std::int32_t alert_certificate_required = 116;

// Alerts that refuse the protocol itself (RFC 8446 6.2): protocol_version, insufficient_security.
constexpr std::int32_t alert_protocol_version = 70;
constexpr std::int32_t alert_insufficient_security = 71;

// no_application_protocol (RFC 7301 3.2): the peer accepts none of the ALPN protocols offered.
constexpr std::int32_t alert_no_application_protocol = 120;

}  // namespace

struct Engine::Impl {
    mbedtls_ssl_context ssl{};
    ByteQueue incoming;  // ciphertext fed by the caller, read by mbedTLS
    ByteQueue outgoing;  // ciphertext written by mbedTLS, taken by the caller
    detail::PeerPolicy policy;
    std::string server_name;
    bool started = false;
    // Length of a write mbedTLS could not finish (WANT_WRITE). mbedTLS must be called again
    // with the same length: on the retry it only flushes the record it already made and then
    // reports the *new* length as written, which would silently drop data if it differed.
    std::size_t interrupted_write = 0;
    // Resumption: the header of the session we offered (a resumed session keeps its original
    // age and lifetime), and whether a session can be saved now (TLS 1.2: after the handshake;
    // TLS 1.3: once the server's NewSessionTicket arrived, after the handshake).
    bool resumed = false;
    bool handshake_began = false;
    bool session_ready = false;
    detail::ResumptionProbe server_probe;  // server role: a ticket or cached session was found
    std::uint32_t tickets_received = 0;
    std::optional<detail::SealedHeader> offered;
    // Whether the server asked for a client certificate, and whether we have one to send.
    detail::HandshakeObserver observer;
    bool has_own_certificate = false;
    // A refusal of ours after mbedTLS finished the handshake (no ALPN agreed): final, so a
    // later handshake() call cannot report success.
    std::optional<Error> alpn_refusal;

    Impl() noexcept { mbedtls_ssl_init(&ssl); }
    explicit Impl(const EngineBuffers& buffers) noexcept
        : incoming(buffers.incoming), outgoing(buffers.outgoing) {
        mbedtls_ssl_init(&ssl);
    }
    ~Impl() { mbedtls_ssl_free(&ssl); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // Memory BIO: mbedTLS's non-blocking contract is WANT_READ / WANT_WRITE when it would block.
    static int send(void* context, const unsigned char* bytes, std::size_t count) {
        auto& self = *static_cast<Impl*>(context);
        const std::size_t taken = self.outgoing.append(bytes, count);
        return taken == 0 ? MBEDTLS_ERR_SSL_WANT_WRITE : static_cast<int>(taken);
    }
    static int receive(void* context, unsigned char* out, std::size_t count) {
        auto& self = *static_cast<Impl*>(context);
        const std::size_t taken = self.incoming.take(out, count);
        return taken == 0 ? MBEDTLS_ERR_SSL_WANT_READ : static_cast<int>(taken);
    }

    // The verdict on the peer's certificate, when mbedTLS stopped because of it: a chain
    // verification that failed (flags set), a certificate it could not parse or use (unknown
    // critical extension, malformed, wrong key type), or a chain too long to follow.
    std::optional<Error> certificate_error(int ret) const noexcept {
        const std::uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);
        const bool flagged = flags != 0 && flags != static_cast<std::uint32_t>(-1);
        if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
            (ret == MBEDTLS_ERR_SSL_BAD_CERTIFICATE && flagged)) {
            return Error{detail::verification_error(flags), static_cast<std::int32_t>(flags)};
        }
        if (ret == MBEDTLS_ERR_SSL_BAD_CERTIFICATE || ret == MBEDTLS_ERR_X509_FATAL_ERROR ||
            (ret <= -0x2000 && ret > -0x3000)) {  // the X.509 module's codes
            return Error{Errc::certificate_unsupported, ret};
        }
        return std::nullopt;
    }

    Error alert_error() const noexcept {
        // The description (e.g. 40 handshake_failure, 42 bad_certificate, 48 unknown_ca) says why.
        const std::int32_t alert = detail::received_alert(ssl);
        // A server that asked for a certificate we could not give refuses us for that
        // (OpenSSL sends handshake_failure under TLS 1.2): say so, it is not the network.
        if (alert == alert_certificate_required ||
            (observer.certificate_requested() && !has_own_certificate)) {
            return Error{Errc::client_certificate_required, alert};
        }
        // An alert in answer to the ClientHello itself (no ServerHello yet) refuses our versions
        // or suites: a broker that speaks only TLS 1.0/1.1, CBC or static RSA (OpenSSL answers
        // handshake_failure, 40, when no suite is shared). Retrying cannot help.
        constexpr std::int32_t alert_handshake_failure = 40;
        if (alert == alert_protocol_version || alert == alert_insufficient_security ||
            (alert == alert_handshake_failure && !observer.server_hello_seen())) {
            return Error{Errc::tls_parameters_refused, alert};
        }
        if (alert == alert_no_application_protocol) return Error{Errc::alpn_refused, alert};
        return Error{Errc::peer_alert, alert};
    }

    Error map_error(int ret) const noexcept {
        // Our own refusals (pin, clock) surface from mbedTLS under various codes; ours is the
        // precise one.
        if (policy.failure) {
            return Error{*policy.failure,
                         static_cast<std::int32_t>(mbedtls_ssl_get_verify_result(&ssl))};
        }
        if (auto refused = certificate_error(ret)) return *refused;
        switch (ret) {
            case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
                return alert_error();
            case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
                return Error{Errc::tls_parameters_refused, ret};
            case MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL:
                return Error{Errc::alpn_refused, ret};
            case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
                return Error{Errc::tls_closed, ret};
            case MBEDTLS_ERR_SSL_INVALID_MAC:
            case MBEDTLS_ERR_SSL_INVALID_RECORD:
                return Error{Errc::tls_record_error, ret};
            default:
                return Error{Errc::handshake_failed, ret};
        }
    }
};

Engine::Engine(const Config& config) noexcept : config_(config), impl_(new (std::nothrow) Impl) {}

Engine::Engine(const Config& config, const EngineBuffers& buffers) noexcept
    : config_(config), impl_(new (std::nothrow) Impl(buffers)) {}

std::size_t Engine::queue_bytes() const noexcept {
    return impl_ ? impl_->incoming.capacity() + impl_->outgoing.capacity() : 0;
}

Engine::~Engine() {
    const HeapScope scope(heap_);
    impl_.reset();
}

Result<void> Engine::start(std::string_view server_name) noexcept {
    const HeapScope scope(heap_);
    if (!impl_ || !impl_->incoming.usable() || !impl_->outgoing.usable()) {
        return Error{Errc::tls_setup_failed, MBEDTLS_ERR_SSL_ALLOC_FAILED};
    }
    Impl& impl = *impl_;
    if (impl.started) return Error{Errc::invalid_argument, 0};
    const bool is_client = config_.role() == Role::client;
    if (is_client && server_name.empty()) return Error{Errc::invalid_argument, 0};
    if (is_client) {
        impl.server_name = std::string(server_name);
        impl.policy.expected_name = impl.server_name;
        impl.policy.expected_ip = detail::parse_ip_literal(server_name);
    }
    impl.has_own_certificate = config_.impl().has_own_certificate;
    impl.policy.wall_clock = config_.impl().wall_clock;
    impl.policy.pins = &config_.impl().pinned_spki;
    MQTLS_TRY(prepare_context());
    impl.started = true;
    return ok();
}

// The mbedTLS context of one connection, set up from the Config (again, after a dropped offer).
Result<void> Engine::prepare_context() noexcept {
    Impl& impl = *impl_;
    int ret = mbedtls_ssl_setup(&impl.ssl, &config_.impl().ssl);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    mbedtls_ssl_set_bio(&impl.ssl, &impl, &Impl::send, &Impl::receive, nullptr);
    mbedtls_ssl_set_verify(&impl.ssl, &detail::verify_peer_certificate, &impl.policy);
    if (config_.role() == Role::client) {
        // A DNS name goes out as SNI. An IP literal must not (RFC 6066 3): NULL tells mbedTLS
        // (3.6.3+, which otherwise refuses to verify without a name) that no name is sent on
        // purpose. The name check itself is the verify callback's, for both.
        ret = mbedtls_ssl_set_hostname(
            &impl.ssl, impl.policy.expected_ip ? nullptr : impl.server_name.c_str());
        if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    }
    return ok();
}

std::size_t Engine::feed_ciphertext(bytes_view bytes) noexcept {
    if (!impl_) return 0;
    const std::size_t taken = impl_->incoming.append(bytes.data(), bytes.size());
    if (!handshake_done_) impl_->observer.observe(bytes.first(taken));
    return taken;
}

bytes_view Engine::pending_ciphertext() const noexcept {
    return impl_ ? impl_->outgoing.pending() : bytes_view{};
}

void Engine::consume_ciphertext(std::size_t count) noexcept {
    if (impl_) impl_->outgoing.consume(count);
}

Result<bool> Engine::handshake() noexcept {
    if (!impl_ || !impl_->started) return Error{Errc::invalid_argument, 0};
    if (handshake_done_) return true;
    if (impl_->alpn_refusal) return *impl_->alpn_refusal;
    const HeapScope scope(heap_);
    Impl& impl = *impl_;
    const bool first_call = !impl.handshake_began;
    impl.handshake_began = true;
    const bool is_client = config_.role() == Role::client;
    if (!is_client) detail::handshaking_server = &impl.server_probe;
    int ret = mbedtls_ssl_handshake(&impl.ssl);
    detail::handshaking_server = nullptr;
    if (first_call && impl.offered && ret != 0 && ret != MBEDTLS_ERR_SSL_WANT_READ &&
        ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
        // The offered session could not even begin a ClientHello (it is authentic, so it was
        // sealed by us, but under a Config mbedTLS finds it incompatible with): a stored session
        // only ever costs a full handshake, so start again without it.
        impl.offered.reset();
        mbedtls_ssl_free(&impl.ssl);
        mbedtls_ssl_init(&impl.ssl);
        impl.outgoing.consume(impl.outgoing.pending().size());
        MQTLS_TRY(prepare_context());
        ret = mbedtls_ssl_handshake(&impl.ssl);
    }
    if (ret == 0 && mbedtls_ssl_is_handshake_over(&impl.ssl) != 0) return on_handshake_over();
    if (ret == 0 || ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return false;
    }
    return impl.map_error(ret);
}

// mbedTLS finished the handshake: our last checks, then what the connection became.
Result<bool> Engine::on_handshake_over() noexcept {
    Impl& impl = *impl_;
    const bool is_client = config_.role() == Role::client;
    if (is_client && !alpn_agreed_if_required()) {
        (void)mbedtls_ssl_send_alert_message(&impl.ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                             MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL);
        impl.alpn_refusal = Error{Errc::alpn_refused, 0};
        return *impl.alpn_refusal;
    }
    handshake_done_ = true;
    // Resumed, for a client: a session was offered and no certificate came to be verified
    // (an abbreviated TLS 1.2 handshake and a TLS 1.3 PSK handshake carry none). mbedTLS has
    // no public "resumed" flag (Mbed-TLS/mbedtls#5606); this works on every version.
    impl.resumed = is_client ? impl.offered.has_value() && !impl.policy.certificate_seen
                             : impl.server_probe.session_found;
    const bool tls13 = mbedtls_ssl_get_version_number(&impl.ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
    impl.session_ready = is_client && !tls13;
    return true;
}

Result<std::size_t> Engine::write_plaintext(bytes_view plaintext) noexcept {
    if (!handshake_done_) return Error{Errc::invalid_argument, 0};
    if (plaintext.empty()) return std::size_t{0};
    std::size_t length = plaintext.size();
    if (impl_->interrupted_write != 0) {
        // The caller must offer at least the bytes of the interrupted write again, first.
        if (length < impl_->interrupted_write) return Error{Errc::invalid_argument, 0};
        length = impl_->interrupted_write;
    }
    const HeapScope scope(heap_);
    const int ret = mbedtls_ssl_write(&impl_->ssl, plaintext.data(), length);
    if (ret >= 0) {
        impl_->interrupted_write = 0;
        return static_cast<std::size_t>(ret);
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) {
        impl_->interrupted_write = length;
        return std::size_t{0};
    }
    return impl_->map_error(ret);
}

Result<std::size_t> Engine::read_plaintext(mutable_bytes out) noexcept {
    if (!handshake_done_) return Error{Errc::invalid_argument, 0};
    const HeapScope scope(heap_);
    // TLS 1.3 NewSessionTickets (RFC 8446 4.6.1) come between application records, and
    // mbedTLS answers a call that consumed one with RECEIVED_NEW_SESSION_TICKET, or with
    // WANT_READ although more records wait behind it. Either way: note a ticket, and read on
    // while the last call made progress and input remains. Servers send one or two tickets; the
    // bound only guards against one that sends nothing else.
    int ret = 0;
    for (int round = 0; round < 32; ++round) {
        const std::size_t queued = impl_->incoming.pending().size();
        ret = mbedtls_ssl_read(&impl_->ssl, out.data(), out.size());
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            impl_->session_ready = true;
            ++impl_->tickets_received;
            continue;
        }
        const std::size_t left = impl_->incoming.pending().size();
        const bool more_to_read =
            mbedtls_ssl_check_pending(&impl_->ssl) != 0 || (left > 0 && left < queued);
        if (ret != MBEDTLS_ERR_SSL_WANT_READ || !more_to_read) break;
    }
    if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) return std::size_t{0};
    if (ret > 0) return static_cast<std::size_t>(ret);
    if (ret == 0) return Error{Errc::tls_closed, 0};  // transport EOF as mbedTLS reports it
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return std::size_t{0};
    }
    return impl_->map_error(ret);
}

Result<void> Engine::close_notify() noexcept {
    if (!impl_ || !impl_->started) return Error{Errc::invalid_argument, 0};
    const HeapScope scope(heap_);
    const int ret = mbedtls_ssl_close_notify(&impl_->ssl);
    if (ret == 0 || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return ok();
    return impl_->map_error(ret);
}

bool Engine::session_ready() const noexcept { return impl_ && impl_->session_ready; }

bool Engine::client_certificate_missing() const noexcept {
    return impl_ && impl_->observer.certificate_requested() && !impl_->has_own_certificate;
}

std::string_view Engine::negotiated_alpn() const noexcept {
#if defined(MBEDTLS_SSL_ALPN)
    if (!impl_) return {};
    const char* agreed = mbedtls_ssl_get_alpn_protocol(&impl_->ssl);
    return agreed != nullptr ? std::string_view(agreed) : std::string_view();
#else
    return {};
#endif
}

// A client whose Config requires ALPN (ConfigOptions::alpn_required) refuses a server that
// ignored its offer: RFC 7301 lets a server do so, but a broker that multiplexes a port by
// ALPN would then be talking something other than MQTT.
bool Engine::alpn_agreed_if_required() const noexcept {
    return !config_.impl().alpn_required || !negotiated_alpn().empty();
}

ConnectionInfo Engine::info() const noexcept {
    ConnectionInfo info;
    if (!handshake_done_) return info;
    info.protocol = mbedtls_ssl_get_version(&impl_->ssl);
    info.tls13 = mbedtls_ssl_get_version_number(&impl_->ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
    info.cipher_suite = mbedtls_ssl_get_ciphersuite(&impl_->ssl);
    info.verified_name = impl_->server_name;
    info.resumed = impl_->resumed;
    info.alpn_protocol = negotiated_alpn();
    for (const mbedtls_x509_crt* crt = mbedtls_ssl_get_peer_cert(&impl_->ssl); crt != nullptr;
         crt = crt->next) {
        ++info.peer_chain_length;
    }
    return info;
}

namespace {

// Zeroes a buffer holding session secrets on every way out.
struct SecretBuffer {
    explicit SecretBuffer(std::size_t length) noexcept
        : bytes(new (std::nothrow) std::uint8_t[length]), size(length) {}
    ~SecretBuffer() {
        if (bytes) mbedtls_platform_zeroize(bytes.get(), size);
    }
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    std::unique_ptr<std::uint8_t[]> bytes;
    std::size_t size;
};

struct SessionHolder {
    SessionHolder() noexcept { mbedtls_ssl_session_init(&session); }
    ~SessionHolder() { mbedtls_ssl_session_free(&session); }
    SessionHolder(const SessionHolder&) = delete;
    SessionHolder& operator=(const SessionHolder&) = delete;
    mbedtls_ssl_session session{};
};

// An all-zero key is what a caller who forgot to set one passes; sealing under it would let
// anyone who can write the store plant a session.
bool key_unset(const SessionKey& key) noexcept { return key.bytes == SessionKey{}.bytes; }

// The first moment the verified chain stops being valid: the earliest notAfter of the
// certificates the broker sent and of the trusted root that issued the last of them. A session
// must not outlive its chain (a full handshake would refuse an expired CA).
std::optional<std::int64_t> chain_valid_until(const mbedtls_x509_crt* chain,
                                              const mbedtls_x509_crt& roots) noexcept {
    std::optional<std::int64_t> until;
    const auto consider = [&](const mbedtls_x509_crt& crt) {
        const detail::CivilTime t{crt.valid_to.year, crt.valid_to.mon, crt.valid_to.day,
                                  crt.valid_to.hour, crt.valid_to.min, crt.valid_to.sec};
        const std::int64_t seconds = detail::unix_from_civil(t);
        if (!until || seconds < *until) until = seconds;
    };
    const mbedtls_x509_crt* last = nullptr;
    for (const mbedtls_x509_crt* crt = chain; crt != nullptr; crt = crt->next) {
        if (crt->version == 0) continue;
        consider(*crt);
        last = crt;
    }
    for (const mbedtls_x509_crt* root = &roots; last != nullptr && root != nullptr;
         root = root->next) {
        if (root->version != 0 && root->subject_raw.len == last->issuer_raw.len &&
            std::memcmp(root->subject_raw.p, last->issuer_raw.p, root->subject_raw.len) == 0) {
            consider(*root);
        }
    }
    return until;
}

}  // namespace

Result<void> Engine::offer_session(bytes_view sealed, const SessionKey& key) noexcept {
    if (!impl_ || !impl_->started || impl_->handshake_began || config_.role() != Role::client ||
        key_unset(key)) {
        return Error{Errc::invalid_argument, 0};
    }
    const HeapScope scope(heap_);
    Impl& impl = *impl_;
    auto header = detail::peek_sealed_header(sealed);
    if (!header) return header.error();
    auto binding = detail::session_binding(impl.server_name, config_.impl().identity_digest);
    if (!binding) return binding.error();
    // Checked before authenticating, to tell "stored for another broker" from "tampered"; the
    // tag below covers the header, so a forged binding still fails there.
    if (header->binding != *binding) return Errc::session_mismatch;

    SecretBuffer plain(sealed.size());
    if (!plain.bytes) return Error{Errc::tls_setup_failed, MBEDTLS_ERR_SSL_ALLOC_FAILED};
    auto length =
        detail::open_sealed_session(key, sealed, mutable_bytes(plain.bytes.get(), plain.size));
    if (!length) return length.error();

    const std::int64_t now =
        config_.impl().wall_clock.now_seconds(config_.impl().wall_clock.context);
    if (now < earliest_plausible_time) return Errc::clock_unset;
    // A clock that went back by more than a few minutes makes the age meaningless: do not trust it.
    constexpr std::int64_t clock_slack_s = 300;
    if (now + clock_slack_s < header->created || now - header->created > header->lifetime_s) {
        return Error{Errc::session_expired, 0};
    }

    // Only sessions of verified handshakes are ever sealed (save_session needs a finished
    // handshake, and a failed verification never finishes one), and the sealed lifetime ends
    // when the first certificate of the verified chain expires, so the checks above are all a
    // stored session needs.
    SessionHolder restored;
    int ret = mbedtls_ssl_session_load(&restored.session, plain.bytes.get(), *length);
    if (ret != 0) return Error{Errc::session_invalid, ret};
    ret = mbedtls_ssl_set_session(&impl.ssl, &restored.session);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    impl.offered = *header;
    return ok();
}

namespace {

// The header of a session from a full handshake: created now, offered for at most a day, the
// broker's ticket lifetime hint, and the validity left of the verified chain, whichever is least.
Result<detail::SealedHeader> header_for_new_session(const mbedtls_ssl_session& session,
                                                    const mbedtls_x509_crt* peer_chain,
                                                    const Config::Impl& config,
                                                    std::string_view server_name) noexcept {
    detail::SealedHeader header;
    header.created = config.wall_clock.now_seconds(config.wall_clock.context);
    if (header.created < earliest_plausible_time) return Errc::clock_unset;
    header.lifetime_s = default_session_lifetime_s;
    const std::uint32_t hint = detail::ticket_lifetime(session);
    if (hint > 0 && hint < header.lifetime_s) header.lifetime_s = hint;
    const auto until = chain_valid_until(peer_chain, config.trusted_roots);
    if (until && *until - header.created < header.lifetime_s) {
        header.lifetime_s =
            *until > header.created ? static_cast<std::uint32_t>(*until - header.created) : 0;
    }
    MQTLS_TRY_ASSIGN(header.binding, detail::session_binding(server_name, config.identity_digest));
    return header;
}

}  // namespace

Result<std::size_t> Engine::save_session(const SessionKey& key, mutable_bytes out) noexcept {
    if (!impl_ || !handshake_done_ || config_.role() != Role::client || key_unset(key)) {
        return Error{Errc::invalid_argument, 0};
    }
    if (!impl_->session_ready) return Error{Errc::session_invalid, 0};  // TLS 1.3: no ticket yet
    const HeapScope scope(heap_);
    Impl& impl = *impl_;
    SessionHolder current;
    int ret = mbedtls_ssl_get_session(&impl.ssl, &current.session);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    std::size_t length = 0;
    (void)mbedtls_ssl_session_save(&current.session, nullptr, 0, &length);
    if (length + detail::sealed_overhead > max_sealed_session_size) {
        return Error{Errc::message_too_large, static_cast<std::int32_t>(length)};
    }
    if (length + detail::sealed_overhead > out.size()) return Errc::message_too_large;
    SecretBuffer plain(length);
    if (!plain.bytes) return Error{Errc::tls_setup_failed, MBEDTLS_ERR_SSL_ALLOC_FAILED};
    ret = mbedtls_ssl_session_save(&current.session, plain.bytes.get(), plain.size, &length);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};

    Config::Impl& config = config_.impl();
    detail::SealedHeader header;
    if (impl.resumed && impl.offered) {
        header = *impl.offered;  // same session: its age runs from the full handshake
    } else {
        MQTLS_TRY_ASSIGN(
            header, header_for_new_session(current.session, mbedtls_ssl_get_peer_cert(&impl.ssl),
                                           config, impl.server_name));
    }
    detail::Nonce nonce{};
    ret = mbedtls_ctr_drbg_random(&config.drbg, nonce.data(), nonce.size());
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    return detail::seal_session(key, header, nonce, bytes_view(plain.bytes.get(), length), out);
}

}  // namespace mqtls::tls
