#pragma once
/// @file
/// What the device runtime (NodeRunner, run_wake_cycle) is given by its port: the byte stream
/// it connects over, the clocks, entropy, where the TLS session and its key live, and the two
/// log segments of the outbox. ports/posix fills it for Linux (port::posix::Platform: TcpStream,
/// clock_gettime, getrandom, FileSessionStore, a 0600 key file, FileLogStorage segments); an
/// ESP-IDF or Arduino port fills the same fields (lwIP socket, esp_timer, esp_fill_random, RTC
/// memory, NVS). Everything is borrowed: the port owns it and keeps it alive while the runtime
/// runs. No heap, no virtual destructors (the shape of LogStorage and SensorSource).

#include "mqtls/core/clock.hpp"
#include "mqtls/core/result.hpp"
#include "mqtls/link/byte_stream.hpp"
#include "mqtls/node/log_storage.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::node {

/// Where the key that seals the stored TLS session comes from: a 0600 file on Linux, NVS
/// (flash-encrypted) or an eFuse-derived key on an ESP32.
class SessionKeySource {
public:
    SessionKeySource(const SessionKeySource&) = delete;
    SessionKeySource& operator=(const SessionKeySource&) = delete;

    /// Fills `key` and returns true, or returns false when the device has no key (resumption
    /// is then off: a full handshake, never an unsealed session). Errors: the source's (a
    /// key that exists but cannot be used: the caller decides whether to go on without
    /// resumption).
    virtual Result<bool> load(tls::SessionKey& key) noexcept = 0;

protected:
    SessionKeySource() = default;
    ~SessionKeySource() = default;
};

struct Platform {
    /// The connection's transport; link::Connection opens it (ByteStream::open) per connect.
    link::ByteStream* stream = nullptr;
    MonotonicClock clock;
    /// Unix seconds, for certificate dates (tls::Config).
    tls::WallClock wall_clock;
    /// Unix milliseconds, for a reading's ts and its age against a time to live; nullptr:
    /// wall_clock's seconds times 1000 (a whole second coarser). Same context as wall_clock.
    std::int64_t (*wall_clock_ms)(void* context) = nullptr;
    tls::EntropySource entropy;
    /// Where the sealed TLS session is kept between connections and deep sleeps; nullptr: no
    /// resumption.
    tls::SessionStore* sessions = nullptr;
    SessionKeySource* session_key = nullptr;
    /// The outbox's two log segments (OutboxSet).
    LogStorage* outbox_segments[2] = {nullptr, nullptr};
    /// Lets time pass until an instant while there is no connection to service (a device may
    /// light-sleep here; the simulation moves its virtual clock). nullptr: return at once.
    void (*idle_until)(void* context, Instant until) = nullptr;
    void* idle_context = nullptr;

    void idle(Instant until) const noexcept {
        if (idle_until != nullptr) idle_until(idle_context, until);
    }

    /// Unix milliseconds from wall_clock_ms, else from wall_clock; 0: no wall clock.
    [[nodiscard]] std::int64_t now_wall_ms() const noexcept {
        if (wall_clock_ms != nullptr) return wall_clock_ms(wall_clock.context);
        return wall_clock.now_seconds != nullptr ? wall_clock.now_seconds(wall_clock.context) * 1000
                                                 : 0;
    }

    /// A 32-bit random value from `entropy` (the backoff's jitter); 0 when it fails, which only
    /// costs the jitter of one delay.
    [[nodiscard]] std::uint32_t random32() const noexcept {
        std::uint32_t value = 0;
        std::size_t produced = 0;
        if (entropy.poll == nullptr) return 0;
        auto* bytes = reinterpret_cast<unsigned char*>(&value);
        if (entropy.poll(entropy.context, bytes, sizeof value, &produced) != 0) return 0;
        return produced == sizeof value ? value : 0;
    }
};

}  // namespace mqtls::node
