#pragma once
/// @file
/// TEST ONLY: a link::SecureChannel that does no cryptography. It frames application bytes in
/// records and runs a tiny handshake (loopback_protocol.hpp), so that link::Connection, the
/// node runner and the wake cycle can be run where mbedTLS is not built (the simulation, the
/// QEMU cross build) with real handshake flights, resumption offers and saved sessions. It
/// checks the name the server announces against the name dialed (hostname_mismatch), nothing
/// else. Never use it to carry data that matters: nothing is encrypted or authenticated.
///
/// Its "sealed session" is [magic "LBS1"][session id][tag], the tag a non-cryptographic hash of
/// the key, the id and the server name: a session saved under another key or for another name
/// is refused with session_invalid, as the real channel refuses it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"
#include "mqtls/link/secure_channel.hpp"
#include "mqtls/sim/loopback_protocol.hpp"

namespace mqtls::sim {

/// A byte queue over caller memory (no heap).
class SpanQueue {
public:
    explicit SpanQueue(mutable_bytes memory) noexcept : memory_(memory) {}
    [[nodiscard]] bytes_view pending() const noexcept {
        return {memory_.data() + begin_, end_ - begin_};
    }
    [[nodiscard]] std::size_t room() const noexcept;
    [[nodiscard]] std::size_t capacity() const noexcept { return memory_.size(); }
    std::size_t append(bytes_view bytes) noexcept;
    void consume(std::size_t count) noexcept;
    void clear() noexcept { begin_ = end_ = 0; }

private:
    mutable_bytes memory_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

inline constexpr std::size_t loopback_sealed_size = 4 + loopback::session_id_size + 8;

class LoopbackChannel final : public link::SecureChannel {
public:
    struct Options {
        /// Whether we "have" a client certificate, for servers that ask for one.
        bool has_client_certificate = true;
    };

    /// `incoming` and `outgoing` are the record queues (at least 64 bytes each).
    LoopbackChannel(mutable_bytes incoming, mutable_bytes outgoing, Options options) noexcept;
    LoopbackChannel(mutable_bytes incoming, mutable_bytes outgoing) noexcept
        : LoopbackChannel(incoming, outgoing, Options{}) {}

    Result<void> start(std::string_view server_name) noexcept override;
    Result<void> offer_session(bytes_view sealed, const tls::SessionKey& key) noexcept override;
    Result<std::size_t> save_session(const tls::SessionKey& key,
                                     mutable_bytes out) noexcept override;
    std::size_t feed_ciphertext(bytes_view bytes) noexcept override;
    [[nodiscard]] bytes_view pending_ciphertext() const noexcept override {
        return outgoing_.pending();
    }
    void consume_ciphertext(std::size_t count) noexcept override { outgoing_.consume(count); }
    Result<bool> handshake() noexcept override;
    [[nodiscard]] bool handshake_done() const noexcept override { return state_ == State::done; }
    /// The loopback models TLS 1.2: the session is ready with the handshake.
    [[nodiscard]] bool session_ready() const noexcept override { return state_ == State::done; }
    [[nodiscard]] bool client_certificate_missing() const noexcept override {
        return certificate_requested_ && !options_.has_client_certificate;
    }
    Result<std::size_t> write_plaintext(bytes_view plaintext) noexcept override;
    Result<std::size_t> read_plaintext(mutable_bytes out) noexcept override;
    Result<void> close_notify() noexcept override;
    [[nodiscard]] link::ChannelInfo info() const noexcept override;
    /// The two queues: the channel has no other memory.
    [[nodiscard]] std::size_t memory_peak() const noexcept override {
        return incoming_.capacity() + outgoing_.capacity();
    }
    void end() noexcept override;

    /// Connections started so far (a test's check that each got a fresh start).
    [[nodiscard]] std::size_t starts() const noexcept { return starts_; }

private:
    enum class State : std::uint8_t {
        idle,
        started,
        awaiting_server_hello,
        awaiting_finished,
        done
    };
    bool queue_record(loopback::RecordType type, bytes_view payload) noexcept;
    bool queue_hello() noexcept;
    std::size_t copy_data(mutable_bytes out) noexcept;
    Result<bool> on_server_hello(bytes_view payload) noexcept;
    Result<bool> on_handshake_record(loopback::RecordType type, bytes_view payload) noexcept;
    [[nodiscard]] std::uint64_t tag(const tls::SessionKey& key) const noexcept;

    SpanQueue incoming_;
    SpanQueue outgoing_;
    Options options_;
    State state_ = State::idle;
    char name_[256] = {};
    std::size_t name_size_ = 0;
    std::uint8_t session_id_[loopback::session_id_size] = {};
    bool offering_ = false;
    bool resumed_ = false;
    bool certificate_requested_ = false;
    std::size_t data_left_ = 0;  // payload bytes of the data record being read
    std::size_t starts_ = 0;
};

}  // namespace mqtls::sim
