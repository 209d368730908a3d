#include <algorithm>
#include <cstring>

#include "mqtls/sim/broker.hpp"
#include "mqtls/sim/loopback_protocol.hpp"

namespace mqtls::sim {
namespace {

using loopback::RecordType;

constexpr auto type_byte(RecordType type) noexcept { return static_cast<std::uint8_t>(type); }

}  // namespace

void LoopbackServer::begin() noexcept {
    in_.clear();
    out_.clear();
    out_begin_ = 0;
    data_left_ = 0;
    hello_seen_ = false;
    done_ = false;
    resumed_ = false;
    hang_up_ = false;
}

std::size_t LoopbackServer::feed(bytes_view ciphertext) noexcept {
    in_.insert(in_.end(), ciphertext.begin(), ciphertext.end());
    return ciphertext.size();
}

void LoopbackServer::queue(std::uint8_t type, bytes_view payload) {
    out_.push_back(type);
    out_.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
    out_.push_back(static_cast<std::uint8_t>(payload.size() & 0xff));
    out_.insert(out_.end(), payload.begin(), payload.end());
}

Result<bool> LoopbackServer::on_hello(bytes_view payload) noexcept {
    if (payload.size() < 2) return Error{Errc::handshake_failed, 0};
    hello_seen_ = true;
    if (script.refuse_handshake) {
        const std::uint8_t code = 40;  // handshake_failure
        queue(type_byte(RecordType::alert), bytes_view(&code, 1));
        return Error{Errc::handshake_failed, 0};
    }
    const bool has_certificate = payload[0] != 0;
    std::uint64_t offered = 0;
    const bool offering = payload[1] != 0 && payload.size() >= 2 + loopback::session_id_size;
    if (offering) std::memcpy(&offered, payload.data() + 2, sizeof(offered));
    resumed_ = offering && script.resume_sessions &&
               std::find(issued_.begin(), issued_.end(), offered) != issued_.end();
    std::uint64_t id = offered;
    if (!resumed_) {
        id = next_id_++;
        issued_.push_back(id);
    }
    std::vector<std::uint8_t> hello(3 + loopback::session_id_size);
    hello[0] = resumed_ ? 1 : 0;
    hello[1] = script.require_client_certificate ? 1 : 0;
    std::memcpy(hello.data() + 2, &id, sizeof(id));
    hello[2 + loopback::session_id_size] = static_cast<std::uint8_t>(script.name.size());
    hello.insert(hello.end(), script.name.begin(), script.name.end());
    queue(type_byte(RecordType::server_hello), bytes_view(hello.data(), hello.size()));
    // A server that requires a certificate the client does not have hangs up (as Mosquitto does
    // under TLS 1.2 when the client sends an empty Certificate).
    if (script.require_client_certificate && !has_certificate) hang_up_ = true;
    return false;
}

Result<bool> LoopbackServer::on_record(std::uint8_t type, bytes_view payload) noexcept {
    if (!hello_seen_ && type == type_byte(RecordType::client_hello)) return on_hello(payload);
    if (hello_seen_ && type == type_byte(RecordType::finished)) {
        if (!resumed_) queue(type_byte(RecordType::finished), {});
        done_ = true;
        return true;
    }
    return Error{Errc::handshake_failed, type};
}

Result<bool> LoopbackServer::advance() noexcept {
    for (int guard = 0; guard < 8 && !done_ && !hang_up_; ++guard) {
        if (in_.size() < loopback::header_size) return false;
        const std::size_t length = (std::size_t{in_[1]} << 8) | in_[2];
        if (in_.size() < loopback::header_size + length) return false;
        const std::uint8_t type = in_[0];
        const std::vector<std::uint8_t> payload(
            in_.begin() + loopback::header_size,
            in_.begin() + static_cast<std::ptrdiff_t>(loopback::header_size + length));
        in_.erase(in_.begin(),
                  in_.begin() + static_cast<std::ptrdiff_t>(loopback::header_size + length));
        auto advanced = on_record(type, bytes_view(payload.data(), payload.size()));
        if (!advanced) return advanced.error();
    }
    return done_;
}

Result<std::size_t> LoopbackServer::read(mutable_bytes out) noexcept {
    for (int guard = 0; guard < 1024; ++guard) {
        if (data_left_ > 0) {
            const std::size_t n = std::min({data_left_, in_.size(), out.size()});
            if (n == 0) return std::size_t{0};
            std::memcpy(out.data(), in_.data(), n);
            in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n));
            data_left_ -= n;
            return n;
        }
        if (in_.size() < loopback::header_size) return std::size_t{0};
        if (in_[0] == type_byte(RecordType::close_notify)) return Error{Errc::tls_closed, 0};
        if (in_[0] != type_byte(RecordType::data)) return Error{Errc::tls_record_error, in_[0]};
        data_left_ = (std::size_t{in_[1]} << 8) | in_[2];
        in_.erase(in_.begin(), in_.begin() + loopback::header_size);
    }
    return std::size_t{0};
}

Result<std::size_t> LoopbackServer::write(bytes_view plaintext) noexcept {
    const std::size_t n = std::min(plaintext.size(), loopback::max_payload);
    queue(type_byte(RecordType::data), plaintext.first(n));
    return n;
}

bytes_view LoopbackServer::pending() const noexcept {
    return {out_.data() + out_begin_, out_.size() - out_begin_};
}

void LoopbackServer::consume(std::size_t count) noexcept {
    out_begin_ += std::min(count, out_.size() - out_begin_);
    if (out_begin_ == out_.size()) {
        out_.clear();
        out_begin_ = 0;
    }
}

}  // namespace mqtls::sim
