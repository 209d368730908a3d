#include "mqtls/port/baremetal/platform.hpp"

#include <cstring>

#include "mqtls/port/baremetal/board.hpp"

namespace mqtls::port::baremetal {
namespace {

constexpr std::uint32_t layout_magic = 0x4D514C52U;  // "RLQM" in memory: mqtls retained layout
constexpr std::uint32_t layout_version = 2;          // 2: the wall clock's high-water mark
static_assert(sizeof(RetainedLayout) <= 64 * 1024, "retained memory is 64 KiB on both boards");

// The wall clock at boot (Unix ms); it moves on with the board's timer from there (what an
// ESP32 does between SNTP updates). wall_milliseconds() explains the high-water mark.
std::int64_t boot_wall_ms = 0;
RetainedLayout* retained_layout = nullptr;
semihosting::HostRandom* platform_random = nullptr;

Instant read_board_clock(void* /*context*/) { return Instant::from_millis(board::milliseconds()); }

std::int64_t read_wall_clock(void* /*context*/) { return wall_seconds(); }

// A layout of our own, or blank stores: anything else in the region (another firmware's bytes)
// is cleared, so that a store never recovers from foreign data.
bool prepare_retained(RetainedLayout& layout) noexcept {
    if (layout.magic == layout_magic && layout.layout == layout_version) return false;
    std::memset(static_cast<void*>(&layout), 0, sizeof layout);
    layout.magic = layout_magic;
    layout.layout = layout_version;
    return true;
}

}  // namespace

MonotonicClock monotonic_clock() noexcept { return MonotonicClock{&read_board_clock, nullptr}; }

std::int64_t wall_milliseconds() noexcept {
    const std::int64_t now = boot_wall_ms + static_cast<std::int64_t>(board::milliseconds());
    if (retained_layout != nullptr && now > retained_layout->wall_clock_high_water_ms) {
        retained_layout->wall_clock_high_water_ms = now;
    }
    return now;
}

std::int64_t wall_seconds() noexcept { return wall_milliseconds() / 1000; }

bool BoardUart::readable() noexcept { return board::uart_readable(); }
std::uint8_t BoardUart::read_byte() noexcept { return board::uart_read(); }
void BoardUart::write(bytes_view data) noexcept {
    for (const std::uint8_t byte : data) {
        if (!board::uart_writable()) {
            // QEMU empties the transmitter when its I/O thread gets to the socket, which
            // depends on the host: the wait is idle (a real board would sleep on the TX
            // interrupt), or the work count of a wake would vary with the host's load.
            const std::uint64_t started = board::instructions();
            while (!board::uart_writable()) {
            }
            idle_ += board::instructions() - started;
        }
        board::uart_put(byte);
    }
}
void BoardUart::begin_idle() noexcept { idle_started_ = board::instructions(); }
void BoardUart::end_idle() noexcept { idle_ += board::instructions() - idle_started_; }

Result<bool> ProvisionedSessionKey::load(tls::SessionKey& key) noexcept {
    if (!key_) return false;
    key = *key_;
    return true;
}

Platform::Platform() noexcept
    : stream_(uart_, monotonic_clock(),
              uart_modem::ModemStreamMemory{mutable_bytes(received_, sizeof received_),
                                            mutable_bytes(frame_, sizeof frame_)}) {}

void Platform::idle_until(void* self, Instant until) {
    auto& platform = *static_cast<Platform*>(self);
    const std::uint64_t started = board::instructions();
    // Light sleep stand-in: spin on the timer (a real board would sleep until an interrupt).
    while (Instant::from_millis(board::milliseconds()) < until) {
    }
    platform.uart_.add_idle(board::instructions() - started);
}

std::size_t PowerCutHook::admit(std::size_t offset, bytes_view data) noexcept {
    if (plan_ == nullptr) return data.size();
    ++plan_->stores;
    if (plan_->at == 0 || plan_->stores != plan_->at) return data.size();
    // The torn store: its first bytes land, then the power goes (QEMU's file-backed memory keeps
    // exactly what was stored).
    const std::size_t landed = plan_->bytes < data.size() ? plan_->bytes : data.size();
    if (offset <= region_.size() && landed <= region_.size() - offset) {
        std::memcpy(region_.data() + offset, data.data(), landed);
    }
    semihosting::print_line("mqtls firmware: power cut during a store to retained memory");
    semihosting::exit(power_cut_exit_status);
}

Result<void> Platform::boot(Platform& platform, PowerCutPlan* power_cut) noexcept {
    board::init();
    MQTLS_TRY(platform.random_.open());
    platform_random = &platform.random_;

    const mutable_bytes region = board::retained_memory();
    auto& layout = *reinterpret_cast<RetainedLayout*>(region.data());
    platform.retained_was_blank_ = prepare_retained(layout);
    const std::int64_t host_ms = semihosting::unix_seconds() * 1000;
    boot_wall_ms =
        host_ms > layout.wall_clock_high_water_ms ? host_ms : layout.wall_clock_high_water_ms + 1;
    retained_layout = &layout;
    RetainedStoreHook* hooks[3] = {nullptr, nullptr, nullptr};
    if (power_cut != nullptr) {
        platform.hooks_[0].attach(power_cut, mutable_bytes(layout.session.bytes));
        platform.hooks_[1].attach(power_cut, mutable_bytes(layout.segments[0].bytes));
        platform.hooks_[2].attach(power_cut, mutable_bytes(layout.segments[1].bytes));
        for (int i = 0; i < 3; ++i) hooks[i] = &platform.hooks_[i];
    }
    platform.sessions_.emplace(layout.session, hooks[0]);
    platform.segments_[0].emplace(layout.segments[0], hooks[1]);
    platform.segments_[1].emplace(layout.segments[1], hooks[2]);

    node::Platform& node = platform.node_;
    node.stream = &platform.stream_;
    node.clock = monotonic_clock();
    node.wall_clock = tls::WallClock{&read_wall_clock, nullptr};
    node.entropy = tls::EntropySource{&semihosting::HostRandom::poll, &platform.random_};
    node.sessions = &*platform.sessions_;
    node.session_key = &platform.key_;
    node.outbox_segments[0] = &*platform.segments_[0];
    node.outbox_segments[1] = &*platform.segments_[1];
    node.idle_until = &Platform::idle_until;
    node.idle_context = &platform;
    return ok();
}

}  // namespace mqtls::port::baremetal

// mbedTLS's platform hooks of tls/mbedtls-config/device_config.h.
extern "C" {

// MBEDTLS_ENTROPY_HARDWARE_ALT: PSA's entropy (psa_crypto_init) comes from the same source as
// the port's EntropySource.
int mbedtls_hardware_poll(void* /*data*/, unsigned char* output, std::size_t length,
                          std::size_t* produced) {
    if (mqtls::port::baremetal::platform_random == nullptr) {
        *produced = 0;
        return -1;
    }
    return mqtls::port::baremetal::semihosting::HostRandom::poll(
        mqtls::port::baremetal::platform_random, output, length, produced);
}

// MBEDTLS_PLATFORM_MS_TIME_ALT: TLS 1.3 ticket ages (RFC 8446 4.6.1) must stay right across a
// deep sleep, so this is the wall clock in milliseconds, not the time since boot.
std::int64_t mbedtls_ms_time(void) { return mqtls::port::baremetal::wall_milliseconds(); }
}
