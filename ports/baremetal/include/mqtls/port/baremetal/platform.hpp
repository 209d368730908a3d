#pragma once
/// @file
/// The bare-metal port's node::Platform (docs/firmware.md): everything the device runtime
/// (node::run_wake_cycle, node::NodeRunner) and the tls layer need, on a QEMU board.
///   - stream: port::uart_modem::ModemStream over the board's UART (the modem: the host bridge);
///   - clock: the board's timer; idle_until spins on it, counted as idle instructions;
///   - wall clock: the host's time, read once at boot (the stand-in for SNTP), then the timer;
///   - entropy: the host's /dev/urandom through semihosting (THE TEST STAND-IN for the RNG);
///   - sessions and outbox segments: retained memory (board::retained_memory(), the stand-in for
///     RTC memory), laid out by RetainedLayout;
///   - session key: bytes provisioned by the host (the stand-in for NVS or an eFuse key).
/// It also answers mbedTLS's two platform hooks of the device configuration
/// (mbedtls_hardware_poll from the entropy, mbedtls_ms_time from the wall clock).

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mqtls/core/retained_memory.hpp"
#include "mqtls/node/platform.hpp"
#include "mqtls/node/retained_log_storage.hpp"
#include "mqtls/port/baremetal/semihosting.hpp"
#include "mqtls/port/uart_modem/modem_stream.hpp"
#include "mqtls/tls/retained_session_store.hpp"

namespace mqtls::port::baremetal {

/// Bytes of each of the outbox's two log segments in retained memory.
inline constexpr std::size_t outbox_segment_bytes = 12 * 1024;

/// What retained memory holds. The magic and layout words let a firmware with another layout
/// start from blank stores instead of reading someone else's bytes as its own.
struct RetainedLayout {
    std::uint32_t magic;
    std::uint32_t layout;
    /// The latest wall-clock time (Unix ms) this device handed out: the next boot's clock
    /// starts no earlier (see wall_milliseconds()).
    std::int64_t wall_clock_high_water_ms;
    tls::RetainedSessionRegion<> session;
    node::RetainedLogRegion<outbox_segment_bytes> segments[2];
};

/// The board's UART as the modem link's Uart, counting the instructions spent idle.
class BoardUart final : public uart_modem::Uart {
public:
    bool readable() noexcept override;
    std::uint8_t read_byte() noexcept override;
    void write(bytes_view data) noexcept override;
    void begin_idle() noexcept override;
    void end_idle() noexcept override;

    /// Instructions spent waiting for the modem (valid under -icount shift=0).
    [[nodiscard]] std::uint64_t idle_instructions() const noexcept { return idle_; }
    void add_idle(std::uint64_t instructions) noexcept { idle_ += instructions; }

private:
    std::uint64_t idle_started_ = 0;
    std::uint64_t idle_ = 0;
};

/// A session key the host provisioned (a 32-byte file): the stand-in for NVS.
class ProvisionedSessionKey final : public node::SessionKeySource {
public:
    void set(const tls::SessionKey& key) noexcept { key_ = key; }
    Result<bool> load(tls::SessionKey& key) noexcept override;

private:
    std::optional<tls::SessionKey> key_;
};

/// A simulated reset in the middle of a store to retained memory (the power-cut tests): the
/// `at`-th store (counting from 1, over the session and both segments) reaches the memory with
/// only its first `bytes` bytes, and the board resets at that instant: the firmware exits with
/// power_cut_exit_status. at == 0: no cut; the stores are only counted.
struct PowerCutPlan {
    std::uint32_t at = 0;
    std::size_t bytes = 0;
    std::uint32_t stores = 0;  ///< stores so far (the report says how many a wake makes)
};
inline constexpr int power_cut_exit_status = 99;

/// One retained region's view of the PowerCutPlan (the hook sees offsets into its own region).
class PowerCutHook final : public RetainedStoreHook {
public:
    void attach(PowerCutPlan* plan, mutable_bytes region) noexcept {
        plan_ = plan;
        region_ = region;
    }
    std::size_t admit(std::size_t offset, bytes_view data) noexcept override;

private:
    PowerCutPlan* plan_ = nullptr;
    mutable_bytes region_;
};

class Platform {
public:
    /// Boots the port: board, wall clock, entropy, the retained stores (blank when the layout
    /// does not match). `power_cut` counts (and may cut) the stores to retained memory; nullptr:
    /// none. Errors: entropy_unavailable.
    static Result<void> boot(Platform& platform, PowerCutPlan* power_cut) noexcept;

    Platform() noexcept;
    Platform(const Platform&) = delete;
    Platform& operator=(const Platform&) = delete;

    [[nodiscard]] const node::Platform& node() const noexcept { return node_; }
    [[nodiscard]] uart_modem::ModemStream& stream() noexcept { return stream_; }
    [[nodiscard]] BoardUart& uart() noexcept { return uart_; }
    [[nodiscard]] ProvisionedSessionKey& session_key() noexcept { return key_; }
    [[nodiscard]] tls::RetainedSessionStore& sessions() noexcept { return *sessions_; }
    [[nodiscard]] node::RetainedLogStorage& segment(int which) noexcept {
        return *segments_[which];
    }
    /// Whether the retained stores were blank or of another layout at boot (a first boot).
    [[nodiscard]] bool retained_was_blank() const noexcept { return retained_was_blank_; }
    /// The memory of the port itself, for the per-connection table.
    static constexpr std::size_t stream_memory_bytes =
        uart_modem::max_frame_payload + uart_modem::max_frame_bytes;

private:
    static void idle_until(void* self, Instant until);

    BoardUart uart_;
    std::uint8_t received_[uart_modem::max_frame_payload] = {};
    std::uint8_t frame_[uart_modem::max_frame_bytes] = {};
    uart_modem::ModemStream stream_;
    semihosting::HostRandom random_;
    ProvisionedSessionKey key_;
    PowerCutHook hooks_[3];
    std::optional<tls::RetainedSessionStore> sessions_;
    std::optional<node::RetainedLogStorage> segments_[2];
    bool retained_was_blank_ = false;
    node::Platform node_;
};

/// The port's clocks, for code outside the runtime (reports).
MonotonicClock monotonic_clock() noexcept;
std::int64_t wall_seconds() noexcept;
/// The wall clock in Unix milliseconds. It starts at boot from the host's time (whole seconds,
/// semihosting SYS_TIME: the stand-in for SNTP or the RTC) but never earlier than the latest
/// time handed out before the sleep (kept in retained memory), so it is monotonic across wakes
/// as an ESP32's RTC timer is through deep sleep: two wakes within one host second must not
/// see time run backwards, or a TLS 1.3 ticket received in the first looks issued in the
/// future in the second (RFC 8446 4.2.11.1 ticket age). Its error stays under a second.
std::int64_t wall_milliseconds() noexcept;

}  // namespace mqtls::port::baremetal
