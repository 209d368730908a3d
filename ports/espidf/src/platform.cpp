// ESP-IDF only (ports/espidf/CMakeLists.txt builds it for the component, never on the host).
#include "mqtls/port/espidf/platform.hpp"

#include <sys/time.h>

#include <cstring>

#include "esp_attr.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "nvs.h"

namespace mqtls::port::espidf {
namespace {

constexpr std::uint32_t layout_magic = 0x4D514C45U;  // "ELQM" in memory: mqtls ESP-IDF layout
constexpr std::uint32_t layout_version = 1;
constexpr const char* nvs_namespace = "mqtls";
constexpr const char* nvs_key = "session_key";

RTC_NOINIT_ATTR RtcLayout rtc_layout;

Instant read_timer(void* /*context*/) { return Instant::from_millis(esp_timer_get_time() / 1000); }

std::int64_t read_wall_seconds(void* /*context*/) { return wall_seconds(); }

std::int64_t read_wall_ms(void* /*context*/) {
    timeval now{};
    gettimeofday(&now, nullptr);
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_usec / 1000;
}

// tls::EntropySource over the hardware RNG.
int fill_random(void* /*context*/, unsigned char* output, std::size_t length,
                std::size_t* produced) {
    esp_fill_random(output, length);
    *produced = length;
    return 0;
}

// Our layout, or blank stores: bytes of another layout (or power-on noise) are never read as
// records.
bool prepare_rtc(RtcLayout& layout) noexcept {
    if (layout.magic == layout_magic && layout.layout == layout_version) return false;
    std::memset(static_cast<void*>(&layout), 0, sizeof layout);
    layout.magic = layout_magic;
    layout.layout = layout_version;
    return true;
}

struct NvsHandle {
    nvs_handle_t handle = 0;
    bool open = false;
    ~NvsHandle() {
        if (open) nvs_close(handle);
    }
};

}  // namespace

MonotonicClock monotonic_clock() noexcept { return MonotonicClock{&read_timer, nullptr}; }

std::int64_t wall_seconds() noexcept { return read_wall_ms(nullptr) / 1000; }

bool wall_clock_set() noexcept { return wall_seconds() >= tls::earliest_plausible_time; }

Result<bool> NvsSessionKey::load(tls::SessionKey& key) noexcept {
    NvsHandle nvs;
    esp_err_t err = nvs_open(nvs_namespace, NVS_READWRITE, &nvs.handle);
    if (err != ESP_OK) return Error{Errc::session_key_invalid, err};
    nvs.open = true;
    std::size_t length = key.size();
    err = nvs_get_blob(nvs.handle, nvs_key, key.data(), &length);
    if (err == ESP_OK && length == key.size()) return true;
    if (err != ESP_ERR_NVS_NOT_FOUND) {
        return Error{Errc::session_key_invalid, err == ESP_OK ? ESP_ERR_NVS_INVALID_LENGTH : err};
    }
    // First boot: a key of our own; sessions sealed under it are worthless to anyone else.
    esp_fill_random(key.data(), key.size());
    err = nvs_set_blob(nvs.handle, nvs_key, key.data(), key.size());
    if (err == ESP_OK) err = nvs_commit(nvs.handle);
    if (err != ESP_OK) return Error{Errc::session_key_invalid, err};
    return true;
}

Platform::Platform() noexcept : stream_(monotonic_clock()) {}

// Lets other tasks (Wi-Fi, the application) run; with power management's automatic light
// sleep enabled, the idle task sleeps the chip meanwhile.
void Platform::idle_until(void* /*self*/, Instant until) {
    const std::int64_t left_ms = (until - monotonic_clock().now()).millis();
    if (left_ms > 0) vTaskDelay(pdMS_TO_TICKS(static_cast<std::uint32_t>(left_ms)) + 1);
}

Result<void> Platform::boot(Platform& platform, link::ByteStream* stream) noexcept {
    platform.retained_was_blank_ = prepare_rtc(rtc_layout);
    platform.sessions_.emplace(rtc_layout.session);
    platform.segments_[0].emplace(rtc_layout.segments[0]);
    platform.segments_[1].emplace(rtc_layout.segments[1]);

    node::Platform& node = platform.node_;
    node.stream = stream != nullptr ? stream : &platform.stream_;
    node.clock = monotonic_clock();
    node.wall_clock = tls::WallClock{&read_wall_seconds, nullptr};
    node.wall_clock_ms = &read_wall_ms;
    node.entropy = tls::EntropySource{&fill_random, nullptr};
    // Without resumption there is no store: DeviceStack then does full handshakes only.
    node.sessions = session_resumption ? &*platform.sessions_ : nullptr;
    node.session_key = session_resumption ? &platform.key_ : nullptr;
    node.outbox_segments[0] = &*platform.segments_[0];
    node.outbox_segments[1] = &*platform.segments_[1];
    node.idle_until = &Platform::idle_until;
    node.idle_context = &platform;
    return ok();
}

}  // namespace mqtls::port::espidf
