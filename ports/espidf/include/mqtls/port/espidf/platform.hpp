#pragma once
/// @file
/// The ESP-IDF port's node::Platform: what node::run_wake_cycle and node::NodeRunner need, on an
/// ESP32-class chip (docs/espidf.md). Thin on purpose: each piece is an ESP-IDF call, and what
/// the runtime does with it is tested on the host and under QEMU.
///   - stream: SocketStream over lwIP (the one part also built and tested on the host);
///   - clock: esp_timer_get_time() (microseconds since boot; restarts after deep sleep, which
///     the runtime never compares across a sleep);
///   - wall clock: gettimeofday(), set by SNTP. Until SNTP has set it the year is 1970, and
///     every connection fails with clock_unset (its hint: set the clock first) instead of
///     skipping the certificate dates; wall_clock_set() lets the application wait for it;
///   - entropy: esp_fill_random() (a true RNG while Wi-Fi or Bluetooth is on, or with the
///     bootloader's entropy source enabled; see ESP-IDF's "Random Number Generation");
///   - sessions and outbox: RTC slow memory (RTC_NOINIT_ATTR), which survives deep sleep and
///     software resets (panic, watchdog, esp_restart()), not a power loss; a magic word tells a
///     layout of ours from whatever was there at power-on;
///   - session key: 32 bytes in NVS (namespace "mqtls", key "session_key"), made with
///     esp_fill_random() on the first boot. Enable NVS encryption (flash encryption, or the
///     HMAC-based scheme on chips with an HMAC peripheral) so the key is not readable from the
///     flash chip: anyone who can read it can forge a stored session.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mqtls/core/result.hpp"
#include "mqtls/node/device_stack.hpp"
#include "mqtls/node/platform.hpp"
#include "mqtls/node/retained_log_storage.hpp"
#include "mqtls/port/espidf/socket_stream.hpp"
#include "mqtls/tls/retained_session_store.hpp"

// The Kconfig choices (ports/espidf/Kconfig) come from sdkconfig.h. Without mqtls's Kconfig
// (the Arduino library, whose core is prebuilt; a host build of this header) its defaults apply.
#if defined(ESP_PLATFORM) && __has_include("sdkconfig.h")
#include "sdkconfig.h"
#endif
#if !defined(CONFIG_MQTLS_RTC_SESSION_BYTES)
#define CONFIG_MQTLS_RTC_SESSION_BYTES 1536
#define CONFIG_MQTLS_RTC_OUTBOX_SEGMENT_BYTES 1024
#define CONFIG_MQTLS_RECORD_QUEUE_BYTES 1024
#define CONFIG_MQTLS_SESSION_RESUMPTION 1
#endif

namespace mqtls::port::espidf {

/// The largest sealed TLS session RTC memory keeps (Kconfig MQTLS_RTC_SESSION_BYTES): the
/// broker's leaf certificate makes most of it (measured with Mosquitto: 644 B for an ECDSA P-256
/// broker over TLS 1.2, 1,039 B for RSA-2048, about 360 B over TLS 1.3; bench/README.md). A
/// larger session is not stored, and the next wake does a full handshake (the wake report's
/// session problem says so).
inline constexpr std::size_t rtc_session_bytes = CONFIG_MQTLS_RTC_SESSION_BYTES;
/// Bytes of each of the outbox's two log segments (Kconfig MQTLS_RTC_OUTBOX_SEGMENT_BYTES).
inline constexpr std::size_t rtc_outbox_segment_bytes = CONFIG_MQTLS_RTC_OUTBOX_SEGMENT_BYTES;

/// The TLS version Kconfig chose (MQTLS_TLS_VERSION), for DeviceSettings::tls_version.
#if defined(CONFIG_MQTLS_TLS_VERSION_1_3)
inline constexpr tls::TlsVersion configured_tls_version = tls::TlsVersion::tls1_3;
#elif defined(CONFIG_MQTLS_TLS_VERSION_AUTO)
inline constexpr tls::TlsVersion configured_tls_version = tls::TlsVersion::automatic;
#else  // CONFIG_MQTLS_TLS_VERSION_1_2, the default
inline constexpr tls::TlsVersion configured_tls_version = tls::TlsVersion::tls1_2;
#endif

/// Whether the platform keeps and offers TLS sessions (Kconfig MQTLS_SESSION_RESUMPTION).
#if defined(CONFIG_MQTLS_SESSION_RESUMPTION)
inline constexpr bool session_resumption = true;
#else
inline constexpr bool session_resumption = false;
#endif

/// The device stack's memory with the Kconfig sizes: the sealed session as large as RTC
/// memory keeps, record queues of MQTLS_RECORD_QUEUE_BYTES; 64 readings of up to 256 bytes.
using DeviceStorage =
    node::DeviceStackStorage<rtc_session_bytes, 64, 256, CONFIG_MQTLS_RECORD_QUEUE_BYTES>;

/// What RTC memory holds (RTC_NOINIT_ATTR: not cleared at boot).
struct RtcLayout {
    std::uint32_t magic;
    std::uint32_t layout;
    tls::RetainedSessionRegion<rtc_session_bytes> session;
    node::RetainedLogRegion<rtc_outbox_segment_bytes> segments[2];
};

/// The session key in NVS, created on first use. Errors: session_key_invalid (detail: the
/// esp_err_t of NVS: not initialised, encrypted partition without keys, a blob of another size).
class NvsSessionKey final : public node::SessionKeySource {
public:
    Result<bool> load(tls::SessionKey& key) noexcept override;
};

class Platform {
public:
    /// Sets up the stores over RTC memory (blank when the layout is not ours). nvs_flash_init()
    /// must have run (the application owns NVS). `stream`: the transport instead of the lwIP
    /// SocketStream (the Arduino library's Client stream); it must outlive the platform.
    static Result<void> boot(Platform& platform, link::ByteStream* stream = nullptr) noexcept;

    Platform() noexcept;
    Platform(const Platform&) = delete;
    Platform& operator=(const Platform&) = delete;

    [[nodiscard]] const node::Platform& node() const noexcept { return node_; }
    [[nodiscard]] SocketStream& stream() noexcept { return stream_; }
    /// Whether RTC memory held no layout of ours at boot (power-on, or a new firmware layout).
    [[nodiscard]] bool retained_was_blank() const noexcept { return retained_was_blank_; }

private:
    static void idle_until(void* self, Instant until);

    SocketStream stream_;
    NvsSessionKey key_;
    std::optional<tls::RetainedSessionStore> sessions_;
    std::optional<node::RetainedLogStorage> segments_[2];
    bool retained_was_blank_ = false;
    node::Platform node_;
};

MonotonicClock monotonic_clock() noexcept;
/// Unix seconds from gettimeofday(); before tls::earliest_plausible_time until SNTP sets it.
std::int64_t wall_seconds() noexcept;
/// Whether SNTP (or the RTC) has set the wall clock.
bool wall_clock_set() noexcept;

}  // namespace mqtls::port::espidf
