#include "device.hpp"

#include <cstdio>

#include "mqtls/port/baremetal/board.hpp"
#include "mqtls/port/baremetal/semihosting.hpp"

namespace mqtls::firmware {
namespace {

namespace host = port::baremetal::semihosting;

bytes_view bytes_of(std::string_view text) noexcept {
    return bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace

void Device::print_error(std::string_view what, const Error& error) noexcept {
#if MQTLS_ERROR_TEXT
    std::printf("mqtls firmware: %.*s: %s [%s, detail %ld]\n  hint: %s\n",
                static_cast<int>(what.size()), what.data(), error.message(), name(error.code),
                static_cast<long>(error.detail), error.hint());
#else
    // Built without error texts (MQTLS_ERROR_TEXT=OFF): the name, and where its text is.
    std::printf(
        "mqtls firmware: %.*s: %s (detail %ld; 'mqtls explain %s' says what it means "
        "and what to do)\n",
        static_cast<int>(what.size()), what.data(), name(error.code),
        static_cast<long>(error.detail), name(error.code));
#endif
    std::fflush(stdout);
}

void Device::boot() noexcept {
    paint_stack();
    const std::size_t length = host::command_line(command_line_, sizeof command_line_);
    const std::string_view line(command_line_, length);
    // The power-cut plan first: boot() attaches it to the retained stores.
    std::string_view failed;
    auto provisioned = provision(line, files_, failed);
    if (provisioned) {
        provisioning_ = *provisioned;
        power_cut_.at = provisioning_.cut_at;
        power_cut_.bytes = provisioning_.cut_bytes;
    }
    if (auto booted = port::baremetal::Platform::boot(platform_, &power_cut_); !booted) {
        print_error("the port could not boot (entropy)", booted.error());
        host::exit(exit_provisioning);
    }
    if (!provisioned) {
        char what[96];
        std::snprintf(what, sizeof what, "provisioning key '%.*s' is missing or wrong",
                      static_cast<int>(failed.size()), failed.data());
        print_error(what, provisioned.error());
        host::exit(exit_provisioning);
    }
    if (provisioning_.session_key) platform_.session_key().set(*provisioning_.session_key);
    open_outbox();
}

void Device::open_outbox() noexcept {
    node::OutboxConfig bounds;
    bounds.max_records = outbox_max_records;
    bounds.max_record_bytes = outbox_max_record_bytes;
    bounds.max_live_bytes = port::baremetal::outbox_segment_bytes / 2;
    bounds.overflow = node::OverflowPolicy::drop_oldest;
    const node::OutboxConfig config = node::OutboxSet::sized(bounds);
    auto opened = node::OutboxSet::open(
        platform_.segment(0), platform_.segment(1),
        node::OutboxSetMemory{span<node::OutboxEntry>(outbox_index_, outbox_max_records),
                              mutable_bytes(outbox_scratch_, sizeof outbox_scratch_)},
        config);
    if (!opened) {
        print_error("the outbox in retained memory could not be opened", opened.error());
        host::exit(exit_pending);
    }
    outbox_.emplace(*opened);
    node::TelemetryNodeConfig node_config;
    node_config.publish_period = provisioning_.period;
    auto made =
        node::TelemetryNode::create(provisioning_.device_id, node_config, outbox_->outbox());
    if (!made) {
        print_error("the device id is not usable", made.error());
        host::exit(exit_provisioning);
    }
    node_.emplace(*made);
}

mqtt::Connect Device::connect_packet() const noexcept {
    mqtt::Connect connect;
    connect.client_id = provisioning_.device_id;
    connect.keep_alive_s = provisioning_.keep_alive_s;
    if (!provisioning_.username.empty()) connect.username = provisioning_.username;
    if (!provisioning_.password.empty()) connect.password = bytes_of(provisioning_.password);
    return connect;
}

link::ConnectionSettings Device::settings() const noexcept { return settings_; }

void Device::connect_setup() noexcept {
    tls::ConfigOptions options;
    options.trusted_roots_pem = provisioning_.ca_pem;
    options.certificate_pem = provisioning_.certificate_pem;
    options.private_key_pem = provisioning_.private_key_pem;
    options.tls_version = provisioning_.tls_version;
    options.session_tickets = provisioning_.session_tickets;
    options.alpn_protocols.assign(
        provisioning_.alpn.begin(),
        provisioning_.alpn.begin() + static_cast<std::ptrdiff_t>(provisioning_.alpn_count));
    options.wall_clock = platform_.node().wall_clock;
    options.entropy = platform_.node().entropy;
    if (auto set_up = tls_config_.setup(options); !set_up) {
        print_error("the TLS configuration was refused", set_up.error());
        host::exit(is_permanent(set_up.error()) ? exit_permanent : exit_pending);
    }
    channel_.emplace(tls_config_,
                     tls::EngineBuffers{mutable_bytes(record_in_, sizeof record_in_),
                                        mutable_bytes(record_out_, sizeof record_out_)});
    meter_.emplace(*channel_);
    settings_.host = provisioning_.host;
    settings_.port = provisioning_.port;
    settings_.verify_name = provisioning_.verify_name;
    if (provisioning_.session_key) {
        settings_.session_store = &platform_.sessions();
        settings_.session_key = *provisioning_.session_key;
    }
    settings_.operation_timeout = provisioning_.deadline;
    connection_.emplace(
        *meter_, platform_.stream(), platform_.node().clock, settings_,
        link::ConnectionMemory{session_storage_.memory(), mutable_bytes(scratch_, sizeof scratch_),
                               mutable_bytes(sealed_, sizeof sealed_)});
}

void Device::add_measurements(Report& report) noexcept {
    namespace board = port::baremetal::board;
    const std::uint64_t total = board::instructions();
    const std::uint64_t idle = platform_.uart().idle_instructions();
    const std::uint64_t handshake = meter_ ? meter_->handshake_instructions() : 0;
    report.add("board", board::name());
    report.add("tls_profile", MQTLS_DEVICE_TLS_PROFILE);
    report.add("instructions", total);
    report.add("idle_instructions", idle);
    report.add("work_instructions", total - idle);
    report.add("handshake_instructions", handshake);
    if (channel_) {
        report.add("tls_heap_peak", channel_->tls_heap_peak());
        report.add("channel_memory_peak", channel_->memory_peak());
    }
    report.add("tls_config_heap", tls_config_.heap_usage().current);
    if (connection_) {
        const link::ConnectionMemoryUsage memory = connection_->memory_usage();
        report.add("session_bytes", memory.session_bytes);
        report.add("scratch_bytes", memory.scratch_bytes);
        report.add("sealed_session_bytes", memory.sealed_session_bytes);
        report.add("sealed_session_used", connection_->resumption().largest_saved_bytes);
    }
    report.add("stream_bytes", port::baremetal::Platform::stream_memory_bytes);
    report.add("heap_arena", heap_arena());
    report.add("stack_peak", stack_peak());
    report.add("retained_stores", power_cut_.stores);
    report.add_bool("retained_was_blank", platform_.retained_was_blank());
    report.add("line_bytes_sent", platform_.stream().line_bytes_sent());
    report.add("line_bytes_received", platform_.stream().line_bytes_received());
}

}  // namespace mqtls::firmware
