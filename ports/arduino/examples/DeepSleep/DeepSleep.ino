// Wake, take a reading, deliver the outbox (resuming the TLS session sealed in RTC memory at the
// last wake), deep-sleep. A reading that cannot go out stays in RTC memory for the next wake.
#include <WiFi.h>
#include <mqtls_arduino.h>

using namespace mqtls;

const char* ssid = "your-ssid";
const char* wifi_password = "your-wifi-password";
const char* root_ca = R"PEM(-----BEGIN CERTIFICATE-----
paste the root CA that issued the broker's certificate here
-----END CERTIFICATE-----
)PEM";
constexpr std::uint64_t sleep_seconds = 300;

WiFiClient net;
port::arduino::Board<WiFiClient> board(net);
port::espidf::DeviceStorage storage;

[[noreturn]] void sleep_now() {
    WiFi.disconnect(true);
    esp_deep_sleep(sleep_seconds * 1000000ULL);
}

void setup() {
    Serial.begin(115200);
    (void)board.boot();
    node::DeviceSettings settings;
    settings.host = "secure-broker";
    settings.device_id = "esp32-sleeper-1";
    settings.username = "sensor-user";
    settings.password = "sensor-password";
    settings.ca_pem = root_ca;
    settings.outbox_segment_bytes = port::espidf::rtc_outbox_segment_bytes;
    static node::DeviceStack stack(board.platform(), storage.memory());
    if (auto opened = stack.open_outbox(settings); !opened) {
        port::arduino::print_error(Serial, "the outbox could not be opened", opened.error());
        sleep_now();
    }
    // Stored first: delivered now or at a later wake, whatever happens next.
    node::SimulatedSensor sensor(esp_random());  // your sensor here
    const Instant now = board.platform().clock.now();
    stack.telemetry().start(now);
    (void)stack.telemetry().take_reading(sensor, now, board.platform().now_wall_ms());

    WiFi.begin(ssid, wifi_password);
    for (int i = 0; i < 30 && WiFi.status() != WL_CONNECTED; ++i) delay(500);
    if (WiFi.status() != WL_CONNECTED) sleep_now();
    if (!board.clock_set()) {  // after a power-on only: the RTC keeps time through deep sleep
        configTime(0, 0, "pool.ntp.org");
        for (int i = 0; i < 50 && !board.clock_set(); ++i) delay(200);
    }
    if (auto set_up = stack.set_up_tls(settings); !set_up) {
        port::arduino::print_error(Serial, "the TLS configuration was refused", set_up.error());
        sleep_now();
    }
    stack.open_connection();
    const node::WakeReport report = node::run_wake_cycle(
        stack.telemetry(), stack.connection(), board.platform(),
        stack.wake_config(mqtt::QoS::at_least_once, Duration::from_seconds(20)));
    (void)stack.telemetry().outbox().sync();
    Serial.printf("mqtls: %s handshake, %u delivered, %u waiting\n",
                  node::handshake_name(report.handshake), static_cast<unsigned>(report.delivered),
                  static_cast<unsigned>(report.pending));
    if (report.error) port::arduino::print_error(Serial, "the wake ended early", *report.error);
    sleep_now();
}

void loop() {}
