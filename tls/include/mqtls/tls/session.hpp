#pragma once
/// @file
/// TLS session resumption that survives a deep sleep. After a full handshake the client Engine
/// exports its session *sealed*: encrypted and authenticated (AES-256-GCM) under a key the
/// device holds, and bound to the server name, the trusted roots, the pins and our own
/// certificate. A SessionStore keeps the sealed blob (a file on Linux; RTC memory on an ESP32,
/// RetainedSessionStore in retained_session_store.hpp);
/// the next connection offers it and, if the broker still knows it, skips the certificate
/// exchange and all public-key operations (an abbreviated handshake: 1 round trip, no ECDHE,
/// no signature checks).
///
/// The blob holds the session's master secret, so it is a secret: the store must also keep it
/// away from other users (file mode 0600), and a blob that fails its authentication, is for
/// another broker or identity, or is too old is never offered: the connection then does a full
/// handshake, as if nothing had been stored, and the store is refreshed after it.
///
///   Engine tls(config); tls.start("broker.example.com");
///   if (auto n = store.load(blob); n && *n > 0) (void)tls.offer_session({blob, *n}, key);
///   ... handshake ...; tls.info().resumed tells which kind it was
///   auto sealed = tls.save_session(key, blob); if (sealed) store.save({blob, *sealed});

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mqtls/core/result.hpp"
#include "mqtls/core/span.hpp"

namespace mqtls::tls {

/// The device-held key that seals stored sessions (AES-256). Keep it out of the session store
/// (e.g. in flash-encrypted NVS or eFuse-derived storage on an ESP32, a 0600 file on Linux).
struct SessionKey {
    std::array<std::uint8_t, 32> bytes{};
};

/// A sealed session never exceeds this (it holds the broker's leaf certificate and ticket).
inline constexpr std::size_t max_sealed_session_size = 4096;

/// How long a session without a ticket lifetime hint is offered (RFC 5246 F.1.4 suggests at
/// most 24 hours for cached sessions).
inline constexpr std::uint32_t default_session_lifetime_s = 86'400;

/// Where a client keeps its sealed session between connections. The blob is sealed, so a store
/// needs no cryptography of its own, only durability and access control.
class SessionStore {
public:
    /// Copies the stored blob into `out`; returns its size, 0 when nothing is stored.
    /// Errors: the storage's own (file_read_failed, ...), message_too_large.
    virtual Result<std::size_t> load(mutable_bytes out) noexcept = 0;
    /// Replaces the stored blob (all or nothing: a reader never sees half of one).
    virtual Result<void> save(bytes_view sealed) noexcept = 0;
    /// Forgets the stored blob (e.g. after the broker declined it).
    virtual Result<void> erase() noexcept = 0;

protected:
    SessionStore() = default;
    SessionStore(const SessionStore&) = default;
    SessionStore& operator=(const SessionStore&) = default;
    ~SessionStore() = default;
};

/// A store in ordinary memory, for tests and for sessions that need not outlive the program:
/// a fixed 4 KiB object with its length outside the bytes, so a new object never sees an old
/// one's blob. To keep the session through deep sleep and resets, use RetainedSessionStore
/// (retained_session_store.hpp) over a region in RTC memory.
class RamSessionStore final : public SessionStore {
public:
    Result<std::size_t> load(mutable_bytes out) noexcept override {
        if (size_ > out.size()) return Errc::message_too_large;
        if (size_ > 0) std::memcpy(out.data(), bytes_.data(), size_);
        return size_;
    }
    Result<void> save(bytes_view sealed) noexcept override {
        if (sealed.size() > bytes_.size()) return Errc::message_too_large;
        if (!sealed.empty()) std::memcpy(bytes_.data(), sealed.data(), sealed.size());
        size_ = sealed.size();
        return ok();
    }
    Result<void> erase() noexcept override {
        bytes_.fill(0);
        size_ = 0;
        return ok();
    }
    /// The stored bytes, for tests that tamper with them.
    [[nodiscard]] mutable_bytes contents() noexcept { return {bytes_.data(), size_}; }

private:
    std::array<std::uint8_t, max_sealed_session_size> bytes_{};
    std::size_t size_ = 0;
};

}  // namespace mqtls::tls
