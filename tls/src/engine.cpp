#include "mqtls/tls/engine.hpp"

#include <mbedtls/error.h>
#include <mbedtls/ssl.h>

#include <cstring>
#include <new>
#include <string>

#include "config_impl.hpp"
#include "peer_verification.hpp"

namespace mqtls::tls {
namespace {

// One maximal TLS 1.2 record (16 KiB of data plus header, IV, tag and padding) fits each way.
constexpr std::size_t buffer_capacity = 16384 + 2048;

// A fixed-capacity byte queue: appended at the back, consumed from the front.
class ByteQueue {
public:
    ByteQueue() noexcept : data_(new (std::nothrow) std::uint8_t[buffer_capacity]) {}
    [[nodiscard]] bool usable() const noexcept { return data_ != nullptr; }
    [[nodiscard]] bytes_view pending() const noexcept {
        return {data_.get() + begin_, end_ - begin_};
    }
    std::size_t append(const std::uint8_t* bytes, std::size_t count) noexcept {
        if (!usable()) return 0;
        compact();
        const std::size_t room = buffer_capacity - end_;
        const std::size_t taken = count < room ? count : room;
        if (taken > 0) std::memcpy(data_.get() + end_, bytes, taken);
        end_ += taken;
        return taken;
    }
    std::size_t take(std::uint8_t* out, std::size_t count) noexcept {
        const std::size_t available = end_ - begin_;
        const std::size_t taken = count < available ? count : available;
        if (taken > 0) std::memcpy(out, data_.get() + begin_, taken);
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
        std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

// What a failed certificate verification means, most fundamental problem first.
Errc verification_error(std::uint32_t flags) noexcept {
    if ((flags &
         (MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING |
          MBEDTLS_X509_BADCERT_BAD_KEY | MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |
          MBEDTLS_X509_BADCERT_OTHER | MBEDTLS_X509_BADCERT_KEY_USAGE |
          MBEDTLS_X509_BADCERT_EXT_KEY_USAGE | MBEDTLS_X509_BADCERT_NS_CERT_TYPE)) != 0) {
        return Errc::certificate_untrusted;
    }
    if ((flags & MBEDTLS_X509_BADCERT_EXPIRED) != 0) return Errc::certificate_expired;
    if ((flags & MBEDTLS_X509_BADCERT_FUTURE) != 0) return Errc::certificate_not_yet_valid;
    if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0) return Errc::hostname_mismatch;
    return Errc::certificate_untrusted;
}

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

    Impl() noexcept { mbedtls_ssl_init(&ssl); }
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

    Error map_error(int ret) const noexcept {
        // Our own refusals (pin, clock) surface from mbedTLS under various codes; ours is the
        // precise one.
        if (policy.failure) {
            return Error{*policy.failure,
                         static_cast<std::int32_t>(mbedtls_ssl_get_verify_result(&ssl))};
        }
        switch (ret) {
            case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED: {
                const std::uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);
                return Error{verification_error(flags), static_cast<std::int32_t>(flags)};
            }
            case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
                // The alert record is still in in_msg: [level, description]. The description
                // (e.g. 40 handshake_failure, 42 bad_certificate, 48 unknown_ca) says why.
                return Error{Errc::peer_alert,
                             ssl.in_msg != nullptr && ssl.in_msglen >= 2 ? ssl.in_msg[1] : 0};
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

    int ret = mbedtls_ssl_setup(&impl.ssl, &config_.impl().ssl);
    if (ret != 0) return Error{Errc::tls_setup_failed, ret};
    mbedtls_ssl_set_bio(&impl.ssl, &impl, &Impl::send, &Impl::receive, nullptr);

    impl.policy.wall_clock = config_.impl().wall_clock;
    impl.policy.pins = &config_.impl().pinned_spki;
    mbedtls_ssl_set_verify(&impl.ssl, &detail::verify_peer_certificate, &impl.policy);
    if (is_client) {
        impl.server_name = std::string(server_name);
        impl.policy.expected_ip = detail::parse_ip_literal(server_name);
        if (!impl.policy.expected_ip) {
            // SNI, and mbedTLS's dNSName / CN matching against this name.
            ret = mbedtls_ssl_set_hostname(&impl.ssl, impl.server_name.c_str());
            if (ret != 0) return Error{Errc::tls_setup_failed, ret};
        }
    }
    impl.started = true;
    return ok();
}

std::size_t Engine::feed_ciphertext(bytes_view bytes) noexcept {
    if (!impl_) return 0;
    return impl_->incoming.append(bytes.data(), bytes.size());
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
    const HeapScope scope(heap_);
    const int ret = mbedtls_ssl_handshake(&impl_->ssl);
    if (ret == 0) {
        handshake_done_ = true;
        return true;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return false;
    return impl_->map_error(ret);
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
    const int ret = mbedtls_ssl_read(&impl_->ssl, out.data(), out.size());
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

ConnectionInfo Engine::info() const noexcept {
    ConnectionInfo info;
    if (!handshake_done_) return info;
    info.protocol = mbedtls_ssl_get_version(&impl_->ssl);
    info.cipher_suite = mbedtls_ssl_get_ciphersuite(&impl_->ssl);
    info.verified_name = impl_->server_name;
    for (const mbedtls_x509_crt* crt = mbedtls_ssl_get_peer_cert(&impl_->ssl); crt != nullptr;
         crt = crt->next) {
        ++info.peer_chain_length;
    }
    return info;
}

}  // namespace mqtls::tls
