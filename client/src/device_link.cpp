#include "mqtls/client/device_link.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include "mqtls/link/tls_channel.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/port/posix/clock.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::client {
namespace {

constexpr std::size_t kib = 1024;
// tx: the largest packet and room behind it; store: a window of readings kept for resending.
using DeviceSessionStorage =
    mqtt::SessionStorage<device_link_max_packet, 2 * device_link_max_packet, 64 * kib,
                         device_link_max_in_flight, 16, 4>;
// Stream reads and decrypted plaintext: a whole TLS record per read.
constexpr std::size_t scratch_bytes = 32 * kib;

Duration to_duration(std::chrono::milliseconds ms) { return Duration::from_millis(ms.count()); }

std::int64_t system_wall_clock(void* /*context*/) { return port::posix::wall_clock_seconds(); }

}  // namespace

struct DeviceLink::Impl {
    Impl(const ClientOptions& client_options, link::ByteStream& stream, MonotonicClock clock)
        : options(client_options),
          storage(std::make_unique<DeviceSessionStorage>()),
          scratch(scratch_bytes),
          sealed(tls::max_sealed_session_size),
          channel(tls_config),
          connection(channel, stream, clock, settings(),
                     link::ConnectionMemory{storage->memory(),
                                            mutable_bytes(scratch.data(), scratch.size()),
                                            mutable_bytes(sealed.data(), sealed.size())}) {}

    [[nodiscard]] link::ConnectionSettings settings() {
        link::ConnectionSettings settings;
        settings.host = options.host;
        settings.port = options.port;
        settings.session_store = &sessions;
        settings.operation_timeout = to_duration(options.operation_timeout);
        return settings;
    }

    const ClientOptions& options;
    std::unique_ptr<DeviceSessionStorage> storage;
    std::vector<std::uint8_t> scratch;
    std::vector<std::uint8_t> sealed;
    tls::RamSessionStore sessions;
    tls::Config tls_config;
    link::TlsChannel channel;
    link::Connection connection;  // after what it refers to
};

DeviceLink::DeviceLink(const ClientOptions& options, link::ByteStream& stream, MonotonicClock clock)
    : impl_(std::make_unique<Impl>(options, stream, clock)) {}

DeviceLink::~DeviceLink() = default;

Result<void> DeviceLink::set_up() noexcept {
    const ClientOptions& options = impl_->options;
    tls::ConfigOptions tls_options;
    tls_options.role = tls::Role::client;
    tls_options.trusted_roots_pem = options.trusted_roots_pem;
    tls_options.certificate_pem = options.certificate_pem;
    tls_options.private_key_pem = options.private_key_pem;
    tls_options.pinned_spki = options.pinned_spki;
    tls_options.wall_clock = tls::WallClock{&system_wall_clock, nullptr};
    tls_options.entropy = tls::EntropySource{&port::posix::getrandom_entropy, nullptr};
    tls_options.session_tickets = options.session_tickets;
    MQTLS_TRY(impl_->tls_config.setup(tls_options));
    link::ConnectionSettings keyed = impl_->settings();
    MQTLS_TRY(port::posix::fill_random(keyed.session_key.bytes));
    impl_->connection.reconfigure(keyed);
    return ok();
}

link::Connection& DeviceLink::connection() noexcept { return impl_->connection; }

}  // namespace mqtls::client
