#pragma once
// What a firmware run measures for the benchmarks (bench/firmware.py) and the tests: executed
// instructions split into handshake work, other work and idle (waiting for the modem), the heap
// (mbedTLS's, counted by the tls layer; the allocator's whole arena), the stack's high-water
// mark (a painted stack), and one "MQTLS-REPORT {json}" line that carries them to the host.
// Instruction counts are exact only under QEMU's -icount shift=0 (board.hpp).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtls/link/secure_channel.hpp"

namespace mqtls::firmware {

/// A SecureChannel that forwards to another and counts the instructions spent inside start(),
/// offer_session() and handshake(): the TLS handshake's own work (mbedTLS's crypto and parsing;
/// never the waiting, which happens in the stream).
class HandshakeMeter final : public link::SecureChannel {
public:
    explicit HandshakeMeter(link::SecureChannel& inner) noexcept : inner_(inner) {}

    Result<void> start(std::string_view server_name) noexcept override;
    Result<void> offer_session(bytes_view sealed, const tls::SessionKey& key) noexcept override;
    Result<std::size_t> save_session(const tls::SessionKey& key,
                                     mutable_bytes out) noexcept override {
        return inner_.save_session(key, out);
    }
    std::size_t feed_ciphertext(bytes_view bytes) noexcept override {
        return inner_.feed_ciphertext(bytes);
    }
    [[nodiscard]] bytes_view pending_ciphertext() const noexcept override {
        return inner_.pending_ciphertext();
    }
    void consume_ciphertext(std::size_t count) noexcept override {
        inner_.consume_ciphertext(count);
    }
    Result<bool> handshake() noexcept override;
    [[nodiscard]] bool handshake_done() const noexcept override { return inner_.handshake_done(); }
    [[nodiscard]] bool session_ready() const noexcept override { return inner_.session_ready(); }
    [[nodiscard]] bool client_certificate_missing() const noexcept override {
        return inner_.client_certificate_missing();
    }
    Result<std::size_t> write_plaintext(bytes_view plaintext) noexcept override {
        return inner_.write_plaintext(plaintext);
    }
    Result<std::size_t> read_plaintext(mutable_bytes out) noexcept override {
        return inner_.read_plaintext(out);
    }
    Result<void> close_notify() noexcept override { return inner_.close_notify(); }
    [[nodiscard]] link::ChannelInfo info() const noexcept override { return inner_.info(); }
    [[nodiscard]] std::size_t memory_peak() const noexcept override { return inner_.memory_peak(); }
    void end() noexcept override { inner_.end(); }

    /// Instructions inside the handshake calls, over all connections.
    [[nodiscard]] std::uint64_t handshake_instructions() const noexcept { return handshake_; }

private:
    link::SecureChannel& inner_;
    std::uint64_t handshake_ = 0;
};

/// Paints the stack below the caller's frame (call first thing in main) and later reports how
/// deep it was used.
void paint_stack() noexcept;
[[nodiscard]] std::size_t stack_peak() noexcept;

/// Bytes the allocator took from RAM at most (picolibc's arena: every allocation with its
/// overhead and fragmentation).
[[nodiscard]] std::size_t heap_arena() noexcept;

/// Builds the report's JSON object, field by field (no heap: a fixed buffer; a field that does
/// not fit is dropped and the report says "truncated":true).
class Report {
public:
    void add(std::string_view key, std::uint64_t value) noexcept;
    void add(std::string_view key, std::string_view value) noexcept;
    void add_bool(std::string_view key, bool value) noexcept;
    /// Prints "MQTLS-REPORT {...}".
    void print() noexcept;

private:
    void append_key(std::string_view key) noexcept;
    void append(std::string_view text) noexcept;

    char text_[2048] = {};
    std::size_t length_ = 0;
    bool truncated_ = false;
};

}  // namespace mqtls::firmware
