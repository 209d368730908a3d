#include "device.hpp"

#include <cstdio>

#include "mqtls/port/baremetal/board.hpp"
#include "mqtls/port/baremetal/semihosting.hpp"

namespace mqtls::firmware {
namespace {

namespace host = port::baremetal::semihosting;

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

void Device::fill_settings() noexcept {
    node::DeviceSettings& s = settings_;
    s.host = provisioning_.host;
    s.port = provisioning_.port;
    s.verify_name = provisioning_.verify_name;
    s.device_id = provisioning_.device_id;
    s.username = provisioning_.username;
    s.password = provisioning_.password;
    s.ca_pem = provisioning_.ca_pem;
    s.certificate_pem = provisioning_.certificate_pem;
    s.private_key_pem = provisioning_.private_key_pem;
    s.alpn_protocols =
        span<const std::string_view>(provisioning_.alpn.data(), provisioning_.alpn_count);
    s.tls_version = provisioning_.tls_version;
    s.session_tickets = provisioning_.session_tickets;
    s.keep_alive_s = provisioning_.keep_alive_s;
    s.operation_timeout = provisioning_.deadline;
    s.node.publish_period = provisioning_.period;
    s.outbox_segment_bytes = port::baremetal::outbox_segment_bytes;
    s.outbox_overflow = node::OverflowPolicy::drop_oldest;
}

void Device::open_outbox() noexcept {
    fill_settings();
    stack_.emplace(platform_.node(), storage_.memory());
    if (auto opened = stack_->open_outbox(settings_); !opened) {
        if (opened.error().code == Errc::invalid_device_id) {
            print_error("the device id is not usable", opened.error());
            host::exit(exit_provisioning);
        }
        print_error("the outbox in retained memory could not be opened", opened.error());
        host::exit(exit_pending);
    }
}

void Device::connect_setup() noexcept {
    if (auto set_up = stack_->set_up_tls(settings_); !set_up) {
        print_error("the TLS configuration was refused", set_up.error());
        host::exit(is_permanent(set_up.error()) ? exit_permanent : exit_pending);
    }
    meter_.emplace(stack_->channel());
    stack_->open_connection(&*meter_);
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
    if (stack_ && stack_->connection_open()) {
        report.add("tls_heap_peak", stack_->channel().tls_heap_peak());
        report.add("channel_memory_peak", stack_->channel().memory_peak());
        report.add("tls_config_heap", stack_->tls_config().heap_usage().current);
        const link::ConnectionMemoryUsage memory = stack_->connection().memory_usage();
        report.add("session_bytes", memory.session_bytes);
        report.add("scratch_bytes", memory.scratch_bytes);
        report.add("sealed_session_bytes", memory.sealed_session_bytes);
        report.add("sealed_session_used", stack_->connection().resumption().largest_saved_bytes);
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
