#include "mqtls/sim/loopback_channel.hpp"

#include <cstring>

namespace mqtls::sim {
namespace {

using loopback::RecordType;

constexpr std::uint8_t sealed_magic[4] = {'L', 'B', 'S', '1'};

// FNV-1a: enough to tell keys apart in a test; not a MAC.
std::uint64_t fnv1a(std::uint64_t hash, const std::uint8_t* bytes, std::size_t size) noexcept {
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= bytes[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

bool key_unset(const tls::SessionKey& key) noexcept { return key.bytes == tls::SessionKey{}.bytes; }

}  // namespace

std::size_t SpanQueue::room() const noexcept { return memory_.size() - (end_ - begin_); }

std::size_t SpanQueue::append(bytes_view bytes) noexcept {
    if (begin_ > 0) {
        std::memmove(memory_.data(), memory_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    const std::size_t free = memory_.size() - end_;
    const std::size_t taken = bytes.size() < free ? bytes.size() : free;
    if (taken > 0) std::memcpy(memory_.data() + end_, bytes.data(), taken);
    end_ += taken;
    return taken;
}

void SpanQueue::consume(std::size_t count) noexcept {
    const std::size_t available = end_ - begin_;
    begin_ += count < available ? count : available;
    if (begin_ == end_) begin_ = end_ = 0;
}

LoopbackChannel::LoopbackChannel(mutable_bytes incoming, mutable_bytes outgoing,
                                 Options options) noexcept
    : incoming_(incoming), outgoing_(outgoing), options_(options) {}

Result<void> LoopbackChannel::start(std::string_view server_name) noexcept {
    if (state_ != State::idle) return Error{Errc::invalid_argument, 0};
    if (server_name.empty() || server_name.size() > sizeof(name_)) {
        return Error{Errc::invalid_argument, 0};
    }
    std::memcpy(name_, server_name.data(), server_name.size());
    name_size_ = server_name.size();
    state_ = State::started;
    ++starts_;
    return ok();
}

std::uint64_t LoopbackChannel::tag(const tls::SessionKey& key) const noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    hash = fnv1a(hash, key.bytes.data(), key.bytes.size());
    hash = fnv1a(hash, session_id_, sizeof(session_id_));
    return fnv1a(hash, reinterpret_cast<const std::uint8_t*>(name_), name_size_);
}

Result<void> LoopbackChannel::offer_session(bytes_view sealed,
                                            const tls::SessionKey& key) noexcept {
    if (state_ != State::started || key_unset(key)) return Error{Errc::invalid_argument, 0};
    if (sealed.size() != loopback_sealed_size ||
        std::memcmp(sealed.data(), sealed_magic, sizeof(sealed_magic)) != 0) {
        return Error{Errc::session_invalid, 0};
    }
    std::memcpy(session_id_, sealed.data() + 4, sizeof(session_id_));
    std::uint64_t stored = 0;
    std::memcpy(&stored, sealed.data() + 4 + sizeof(session_id_), sizeof(stored));
    if (stored != tag(key)) {
        std::memset(session_id_, 0, sizeof(session_id_));
        return Error{Errc::session_invalid, 0};
    }
    offering_ = true;
    return ok();
}

Result<std::size_t> LoopbackChannel::save_session(const tls::SessionKey& key,
                                                  mutable_bytes out) noexcept {
    if (state_ != State::done || key_unset(key)) return Error{Errc::invalid_argument, 0};
    if (out.size() < loopback_sealed_size) return Errc::message_too_large;
    std::memcpy(out.data(), sealed_magic, sizeof(sealed_magic));
    std::memcpy(out.data() + 4, session_id_, sizeof(session_id_));
    const std::uint64_t t = tag(key);
    std::memcpy(out.data() + 4 + sizeof(session_id_), &t, sizeof(t));
    return loopback_sealed_size;
}

std::size_t LoopbackChannel::feed_ciphertext(bytes_view bytes) noexcept {
    return incoming_.append(bytes);
}

bool LoopbackChannel::queue_record(RecordType type, bytes_view payload) noexcept {
    if (outgoing_.room() < loopback::header_size + payload.size()) return false;
    const std::uint8_t header[loopback::header_size] = {
        static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(payload.size() >> 8),
        static_cast<std::uint8_t>(payload.size() & 0xff)};
    outgoing_.append(bytes_view(header, sizeof(header)));
    outgoing_.append(payload);
    return true;
}

Result<bool> LoopbackChannel::on_server_hello(bytes_view payload) noexcept {
    if (payload.size() < 3 + loopback::session_id_size) return Error{Errc::handshake_failed, 1};
    const bool resumed = payload[0] != 0;
    certificate_requested_ = payload[1] != 0;
    const std::size_t name_size = payload[2 + loopback::session_id_size];
    const bytes_view name = payload.subspan(3 + loopback::session_id_size);
    if (name.size() != name_size) return Error{Errc::handshake_failed, 2};
    if (name_size != name_size_ || std::memcmp(name.data(), name_, name_size) != 0) {
        return Error{Errc::hostname_mismatch, 0};
    }
    resumed_ = offering_ && resumed &&
               std::memcmp(payload.data() + 2, session_id_, sizeof(session_id_)) == 0;
    std::memcpy(session_id_, payload.data() + 2, sizeof(session_id_));
    if (!queue_record(RecordType::finished, {})) return Error{Errc::handshake_failed, 3};
    // Abbreviated: the server's Finished came with its hello; ours is the last flight.
    state_ = resumed_ ? State::done : State::awaiting_finished;
    return state_ == State::done;
}

Result<bool> LoopbackChannel::on_handshake_record(RecordType type, bytes_view payload) noexcept {
    if (type == RecordType::alert) {
        return Error{Errc::peer_alert, payload.empty() ? 0 : payload[0]};
    }
    if (state_ == State::awaiting_server_hello && type == RecordType::server_hello) {
        return on_server_hello(payload);
    }
    if (state_ == State::awaiting_finished && type == RecordType::finished) {
        state_ = State::done;
        return true;
    }
    return Error{Errc::handshake_failed, static_cast<std::int32_t>(type)};
}

bool LoopbackChannel::queue_hello() noexcept {
    std::uint8_t hello[2 + loopback::session_id_size] = {
        static_cast<std::uint8_t>(options_.has_client_certificate ? 1 : 0),
        static_cast<std::uint8_t>(offering_ ? 1 : 0)};
    std::size_t size = 2;
    if (offering_) {
        std::memcpy(hello + 2, session_id_, sizeof(session_id_));
        size += sizeof(session_id_);
    }
    return queue_record(RecordType::client_hello, bytes_view(hello, size));
}

Result<bool> LoopbackChannel::handshake() noexcept {
    if (state_ == State::idle) return Error{Errc::invalid_argument, 0};
    if (state_ == State::done) return true;
    if (state_ == State::started) {
        if (!queue_hello()) return false;
        state_ = State::awaiting_server_hello;
    }
    for (int guard = 0; guard < 8 && state_ != State::done; ++guard) {
        const bytes_view in = incoming_.pending();
        if (in.size() < loopback::header_size) return false;
        const std::size_t length = (std::size_t{in[1]} << 8) | in[2];
        if (in.size() < loopback::header_size + length) return false;
        const auto type = static_cast<RecordType>(in[0]);
        auto advanced = on_handshake_record(type, in.subspan(loopback::header_size, length));
        incoming_.consume(loopback::header_size + length);
        if (!advanced) return advanced.error();
    }
    return state_ == State::done;
}

Result<std::size_t> LoopbackChannel::write_plaintext(bytes_view plaintext) noexcept {
    if (state_ != State::done) return Error{Errc::invalid_argument, 0};
    const std::size_t room = outgoing_.room();
    if (plaintext.empty() || room <= loopback::header_size) return std::size_t{0};
    std::size_t size = room - loopback::header_size;
    if (size > loopback::max_payload) size = loopback::max_payload;
    if (size > plaintext.size()) size = plaintext.size();
    (void)queue_record(RecordType::data, plaintext.first(size));
    return size;
}

std::size_t LoopbackChannel::copy_data(mutable_bytes out) noexcept {
    const bytes_view in = incoming_.pending();
    std::size_t n = data_left_ < in.size() ? data_left_ : in.size();
    if (n > out.size()) n = out.size();
    if (n > 0) std::memcpy(out.data(), in.data(), n);
    incoming_.consume(n);
    data_left_ -= n;
    return n;
}

Result<std::size_t> LoopbackChannel::read_plaintext(mutable_bytes out) noexcept {
    if (state_ != State::done) return Error{Errc::invalid_argument, 0};
    for (int guard = 0; guard < 1024; ++guard) {
        if (data_left_ > 0) return copy_data(out);
        const bytes_view in = incoming_.pending();
        if (in.size() < loopback::header_size) return std::size_t{0};
        const auto type = static_cast<RecordType>(in[0]);
        if (type == RecordType::close_notify) return Error{Errc::tls_closed, 0};
        if (type != RecordType::data) return Error{Errc::tls_record_error, in[0]};
        data_left_ = (std::size_t{in[1]} << 8) | in[2];
        incoming_.consume(loopback::header_size);
    }
    return std::size_t{0};
}

Result<void> LoopbackChannel::close_notify() noexcept {
    if (state_ == State::idle) return Error{Errc::invalid_argument, 0};
    (void)queue_record(RecordType::close_notify, {});
    return ok();
}

link::ChannelInfo LoopbackChannel::info() const noexcept {
    link::ChannelInfo info;
    if (state_ != State::done) return info;
    info.protocol = "loopback (test only, not encrypted)";
    info.cipher_suite = "none";
    info.verified_name = std::string_view(name_, name_size_);
    info.resumed = resumed_;
    return info;
}

void LoopbackChannel::end() noexcept {
    incoming_.clear();
    outgoing_.clear();
    state_ = State::idle;
    offering_ = false;
    resumed_ = false;
    certificate_requested_ = false;
    data_left_ = 0;
    std::memset(session_id_, 0, sizeof(session_id_));
}

}  // namespace mqtls::sim
