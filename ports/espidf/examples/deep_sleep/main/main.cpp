// One wake of a battery sensor: store this wake's reading in the outbox (RTC memory), bring up
// Wi-Fi, set the clock once, deliver everything the outbox holds over verified TLS (the session
// sealed at the last wake is resumed: no certificate chain, no key exchange for TLS 1.2), then
// deep-sleep. A reading that cannot go out now stays in RTC memory for the next wake; nothing
// here decides what to do about errors beyond reporting them: the library already did (kept the
// readings, closed the connection, said whether retrying can help).
#include <cstdio>
#include <cstring>

#include "esp_event.h"
#include "esp_netif.h"
#include "esp_netif_sntp.h"
#include "esp_sleep.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "mqtls/node/device_stack.hpp"
#include "mqtls/node/sensor.hpp"
#include "mqtls/node/wake_cycle.hpp"
#include "mqtls/port/espidf/platform.hpp"
#include "nvs_flash.h"

using namespace mqtls;

namespace {

// The root CA that issued the broker's certificate (PEM). A product compiles its own in, or
// reads it from a provisioning partition.
const char broker_ca[] = R"PEM(-----BEGIN CERTIFICATE-----
paste the root CA that issued the broker's certificate here
-----END CERTIFICATE-----
)PEM";

port::espidf::Platform platform;
port::espidf::DeviceStorage storage;  // one connection's memory and the outbox index (Kconfig)

EventGroupHandle_t wifi_events;
constexpr EventBits_t got_address = BIT0;

void on_network_event(void* /*arg*/, esp_event_base_t base, int32_t id, void* /*data*/) {
    if (base == WIFI_EVENT && (id == WIFI_EVENT_STA_START || id == WIFI_EVENT_STA_DISCONNECTED)) {
        esp_wifi_connect();
    } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
        xEventGroupSetBits(wifi_events, got_address);
    }
}

bool wifi_up(TickType_t timeout) {
    wifi_events = xEventGroupCreate();
    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    esp_netif_create_default_wifi_sta();
    const wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    ESP_ERROR_CHECK(esp_wifi_init(&init));
    ESP_ERROR_CHECK(esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID,
                                                        &on_network_event, nullptr, nullptr));
    ESP_ERROR_CHECK(esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP,
                                                        &on_network_event, nullptr, nullptr));
    wifi_config_t config = {};
    std::strncpy(reinterpret_cast<char*>(config.sta.ssid), CONFIG_EXAMPLE_WIFI_SSID,
                 sizeof config.sta.ssid - 1);
    std::strncpy(reinterpret_cast<char*>(config.sta.password), CONFIG_EXAMPLE_WIFI_PASSWORD,
                 sizeof config.sta.password - 1);
    ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
    ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &config));
    ESP_ERROR_CHECK(esp_wifi_start());
    return (xEventGroupWaitBits(wifi_events, got_address, pdFALSE, pdTRUE, timeout) &
            got_address) != 0;
}

// The RTC keeps the time through deep sleep; SNTP is needed after a power-on only. Until the
// clock is set, connections fail with clock_unset rather than skip the certificate dates.
void set_clock_once() {
    if (port::espidf::wall_clock_set()) return;
    esp_sntp_config_t config = ESP_NETIF_SNTP_DEFAULT_CONFIG("pool.ntp.org");
    esp_netif_sntp_init(&config);
    if (esp_netif_sntp_sync_wait(pdMS_TO_TICKS(10'000)) != ESP_OK) {
        std::printf("mqtls: SNTP did not answer within 10 s; the wake will report clock_unset\n");
    }
    esp_netif_sntp_deinit();
}

void report_error(const char* what, const Error& error) {
    std::printf("mqtls: %s: %s [%s, detail %ld]\n  hint: %s\n", what, error.message(),
                name(error.code), static_cast<long>(error.detail), error.hint());
}

[[noreturn]] void sleep_until_next_reading() {
    esp_wifi_stop();
    esp_deep_sleep(static_cast<uint64_t>(CONFIG_EXAMPLE_SLEEP_SECONDS) * 1'000'000ULL);
}

}  // namespace

extern "C" void app_main() {
    esp_err_t nvs = nvs_flash_init();
    if (nvs == ESP_ERR_NVS_NO_FREE_PAGES || nvs == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        // Erasing NVS loses the session key too: the next wake does one full handshake.
        ESP_ERROR_CHECK(nvs_flash_erase());
        nvs = nvs_flash_init();
    }
    ESP_ERROR_CHECK(nvs);
    (void)port::espidf::Platform::boot(platform);

    node::DeviceSettings settings;
    settings.host = CONFIG_EXAMPLE_BROKER_HOST;
    settings.port = CONFIG_EXAMPLE_BROKER_PORT;
    settings.device_id = CONFIG_EXAMPLE_DEVICE_ID;
    settings.username = CONFIG_EXAMPLE_MQTT_USERNAME;
    settings.password = CONFIG_EXAMPLE_MQTT_PASSWORD;
    settings.ca_pem = broker_ca;
    settings.tls_version = port::espidf::configured_tls_version;
    settings.outbox_segment_bytes = port::espidf::rtc_outbox_segment_bytes;

    static node::DeviceStack stack(platform.node(), storage.memory());
    if (auto opened = stack.open_outbox(settings); !opened) {
        report_error("the outbox could not be opened", opened.error());
        sleep_until_next_reading();
    }
    // The reading is stored before anything can fail: it is delivered now or at a later wake.
    node::SimulatedSensor sensor(static_cast<std::uint32_t>(esp_random()));  // your sensor here
    const Instant now = platform.node().clock.now();
    stack.telemetry().start(now);
    if (auto taken = stack.telemetry().take_reading(sensor, now, platform.node().now_wall_ms());
        !taken) {
        report_error("the reading could not be stored", taken.error());
    }
    if (!wifi_up(pdMS_TO_TICKS(15'000))) {
        std::printf("mqtls: no Wi-Fi within 15 s; %u reading(s) wait in RTC memory\n",
                    static_cast<unsigned>(stack.telemetry().outbox().size()));
        sleep_until_next_reading();
    }
    set_clock_once();
    if (auto set_up = stack.set_up_tls(settings); !set_up) {
        report_error("the TLS configuration was refused", set_up.error());
        sleep_until_next_reading();
    }
    stack.open_connection();

    const node::WakeReport report = node::run_wake_cycle(
        stack.telemetry(), stack.connection(), platform.node(),
        stack.wake_config(mqtt::QoS::at_least_once, Duration::from_seconds(20)));
    (void)stack.telemetry().outbox().sync();
    std::printf("mqtls: %s handshake, %u delivered, %u waiting, connect %lld ms\n",
                node::handshake_name(report.handshake), static_cast<unsigned>(report.delivered),
                static_cast<unsigned>(report.pending),
                static_cast<long long>(report.connect_time.millis()));
    if (report.error) {
        report_error(is_permanent(*report.error) ? "the broker refused us (retrying cannot help)"
                                                 : "the wake ended early (readings kept)",
                     *report.error);
    }
    sleep_until_next_reading();
}
