#include "mqtls/node/device_stack.hpp"

namespace mqtls::node {

DeviceStack::DeviceStack(const Platform& platform, const DeviceStackMemory& memory) noexcept
    : platform_(platform), memory_(memory) {}

Result<void> DeviceStack::begin(const DeviceSettings& settings) noexcept {
    MQTLS_TRY(open_outbox(settings));
    MQTLS_TRY(set_up_tls(settings));
    open_connection();
    return ok();
}

Result<void> DeviceStack::open_outbox(const DeviceSettings& settings) noexcept {
    settings_ = settings;
    LogStorage* const first = platform_.outbox_segments[0];
    LogStorage* const second = platform_.outbox_segments[1];
    if (first == nullptr || second == nullptr || settings.outbox_segment_bytes == 0 ||
        memory_.outbox_scratch.size() <= outbox_record_overhead) {
        return Error{Errc::invalid_argument, 0};
    }
    OutboxConfig bounds;
    bounds.max_records = memory_.outbox_index.size();
    bounds.max_record_bytes = memory_.outbox_scratch.size() - outbox_record_overhead;
    // Half a segment of live readings: compaction copies them into the other segment, which
    // must then still have room for new ones.
    bounds.max_live_bytes = settings.outbox_segment_bytes / 2;
    bounds.overflow = settings.outbox_overflow;
    MQTLS_TRY_ASSIGN(OutboxSet opened,
                     OutboxSet::open(*first, *second,
                                     OutboxSetMemory{memory_.outbox_index, memory_.outbox_scratch},
                                     OutboxSet::sized(bounds)));
    outbox_.emplace(opened);
    MQTLS_TRY_ASSIGN(TelemetryNode made,
                     TelemetryNode::create(settings.device_id, settings.node, outbox_->outbox()));
    telemetry_.emplace(made);
    return ok();
}

Result<void> DeviceStack::set_up_tls(const DeviceSettings& settings) noexcept {
    settings_ = settings;
    tls::ConfigOptions options;
    options.trusted_roots_pem = settings.ca_pem;
    options.certificate_pem = settings.certificate_pem;
    options.private_key_pem = settings.private_key_pem;
    options.tls_version = settings.tls_version;
    options.session_tickets = settings.session_tickets;
    options.alpn_protocols.assign(settings.alpn_protocols.begin(), settings.alpn_protocols.end());
    options.alpn_required = settings.alpn_required;
    options.wall_clock = platform_.wall_clock;
    options.entropy = platform_.entropy;
    MQTLS_TRY(tls_config_.setup(options));
    channel_.emplace(tls_config_, tls::EngineBuffers{memory_.record_in, memory_.record_out});
    return ok();
}

void DeviceStack::open_connection(link::SecureChannel* channel) noexcept {
    link::ConnectionSettings& settings = connection_settings_;
    settings.host = settings_.host;
    settings.port = settings_.port;
    settings.verify_name = settings_.verify_name;
    settings.operation_timeout = settings_.operation_timeout;
    session_key_problem_.reset();
    if (platform_.sessions != nullptr && platform_.session_key != nullptr) {
        // No key, or one that cannot be read: full handshakes, never an unsealed session.
        auto loaded = platform_.session_key->load(session_key_);
        if (!loaded) session_key_problem_ = loaded.error();
        if (loaded && *loaded) {
            settings.session_store = platform_.sessions;
            settings.session_key = session_key_;
        }
    }
    connection_.emplace(
        channel != nullptr ? *channel : *channel_, *platform_.stream, platform_.clock, settings,
        link::ConnectionMemory{memory_.session, memory_.scratch, memory_.sealed_session});
}

mqtt::Connect DeviceStack::connect_packet() const noexcept {
    mqtt::Connect connect;
    connect.client_id = settings_.device_id;
    connect.keep_alive_s = settings_.keep_alive_s;
    if (!settings_.username.empty()) connect.username = settings_.username;
    if (!settings_.password.empty()) {
        connect.password = as_bytes(settings_.password.data(), settings_.password.size());
    }
    return connect;
}

WakeConfig DeviceStack::wake_config(mqtt::QoS qos, Duration deadline) const noexcept {
    WakeConfig config;
    config.qos = qos;
    config.connect = connect_packet();
    config.deadline = deadline;
    return config;
}

NodeRunnerConfig DeviceStack::runner_config(mqtt::QoS qos) const noexcept {
    NodeRunnerConfig config;
    config.qos = qos;
    config.client_id = settings_.device_id;
    config.username = settings_.username;
    config.password = as_bytes(settings_.password.data(), settings_.password.size());
    config.keep_alive_s = settings_.keep_alive_s;
    config.clean_session = false;
    config.connect_timeout = settings_.operation_timeout;
    return config;
}

}  // namespace mqtls::node
