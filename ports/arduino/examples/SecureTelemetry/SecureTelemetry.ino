// The classic ESP32 telemetry sketch (WiFiClientSecure + PubSubClient: a root CA, broker
// "secure-broker" on 8883, client id + user name + password, a JSON reading every 10 s, a retry
// every 5 s), line for line on mqtls. Each "was:" comment is the PubSubClient line it replaces.
// What it adds: readings kept until the broker acknowledges them (QoS 1; PubSubClient publishes
// QoS 0 only), reconnects with backoff and jitter, a resumed TLS session on each reconnect, and
// every failure with its reason and what to do, where PubSubClient has state() numbers.
#include <WiFi.h>
#include <mqtls_arduino.h>

using namespace mqtls;

const char* ssid = "your-ssid";
const char* wifi_password = "your-wifi-password";
// was: const char* root_ca = "...";  espClient.setCACert(root_ca);
const char* root_ca = R"PEM(-----BEGIN CERTIFICATE-----
paste the root CA that issued the broker's certificate here
-----END CERTIFICATE-----
)PEM";

// was: WiFiClientSecure espClient;  PubSubClient client(espClient);
// A plain WiFiClient: mqtls's own engine does the TLS, and always verifies the broker's
// certificate and name (there is no setInsecure()).
WiFiClient net;
port::arduino::Board<WiFiClient> board(net);
port::espidf::DeviceStorage storage;  // one connection's memory and the outbox index
node::DeviceStack* stack = nullptr;
node::NodeRunner* runner = nullptr;
node::SimulatedSensor sensor(1);  // your sensor here: a node::SensorSource

void setup() {
    Serial.begin(115200);
    WiFi.begin(ssid, wifi_password);  // was: the same
    while (WiFi.status() != WL_CONNECTED) delay(500);
    // Certificates have dates: the clock must be set (SNTP) before a connection can verify.
    configTime(0, 0, "pool.ntp.org");

    if (auto booted = board.boot(); !booted) {
        port::arduino::print_error(Serial, "the board could not boot", booted.error());
    }
    static node::DeviceSettings settings;
    settings.host = "secure-broker";  // was: client.setServer("secure-broker", 8883);
    settings.port = 8883;
    settings.device_id = "esp32-sensor-1";  // was: client.connect(clientId, user, pass);
    settings.username = "sensor-user";
    settings.password = "sensor-password";
    settings.ca_pem = root_ca;
    settings.node.publish_period = Duration::from_seconds(10);      // was: if (now - last > 10000)
    settings.node.reconnect.base = Duration::from_seconds(5);       // was: delay(5000) and retry
    settings.outbox_segment_bytes = port::espidf::rtc_outbox_segment_bytes;

    static node::DeviceStack device(board.platform(), storage.memory());
    if (auto begun = device.begin(settings); !begun) {
        port::arduino::print_error(Serial, "mqtls could not start", begun.error());
        return;
    }
    stack = &device;
    static node::NodeRunner loop_runner(device.telemetry(), device.connection(), board.platform(),
                                        device.runner_config(mqtt::QoS::at_least_once), &sensor);
    runner = &loop_runner;
    device.telemetry().start(board.platform().clock.now());
}

void loop() {
    if (runner == nullptr) return;  // setup() said why
    // was: if (!client.connected()) reconnect();  client.loop();  client.publish(...);
    runner->step(board.platform().clock.now() + Duration::from_millis(100));
    while (auto event = runner->poll_event()) {
        switch (event->type) {
            case node::NodeEventType::connected:
                Serial.printf("mqtls: connected (%s)\n", event->resumed ? "resumed" : "full");
                break;
            case node::NodeEventType::acknowledged:
                Serial.printf("mqtls: reading %llu delivered\n",
                              static_cast<unsigned long long>(event->seq));
                break;
            case node::NodeEventType::link_down:  // was: client.state() == -2 and friends
                if (event->error) {
                    port::arduino::print_error(Serial, "the link is down", *event->error);
                }
                Serial.printf("mqtls: next attempt in %lld ms\n",
                              static_cast<long long>(event->retry_delay.millis()));
                break;
            case node::NodeEventType::stopped:  // a refusal retrying cannot fix
                if (event->error) port::arduino::print_error(Serial, "stopped", *event->error);
                break;
            default:
                break;
        }
    }
}
