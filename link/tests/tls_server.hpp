#pragma once
// The sim::Broker behind a real mbedTLS server (tls::Engine, server role): host tests of
// link::TlsChannel through the pump, with certificates generated per test binary.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "mqtls/pki/certificate.hpp"
#include "mqtls/sim/broker.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/engine.hpp"

namespace mqtls::link::testing {

inline std::int64_t real_wall_clock(void* /*context*/) {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct TestPki {
    pki::Issued root;
    pki::Issued server;  // DNS broker.test
};

inline const TestPki& test_pki() {
    static const TestPki pki = [] {
        TestPki p;
        auto root = pki::make_self_signed(pki::ca_request("mqtls link test root"));
        if (!root) std::abort();
        p.root = std::move(*root);
        auto server = pki::issue(pki::server_request("broker.test", {"broker.test"}), p.root);
        if (!server) std::abort();
        p.server = std::move(*server);
        return p;
    }();
    return pki;
}

inline tls::ConfigOptions client_config_options() {
    tls::ConfigOptions options;
    options.role = tls::Role::client;
    options.trusted_roots_pem = test_pki().root.certificate_pem;
    options.wall_clock = tls::WallClock{&real_wall_clock, nullptr};
    return options;
}

inline tls::ConfigOptions server_config_options() {
    tls::ConfigOptions options;
    options.role = tls::Role::server;
    options.certificate_pem = test_pki().server.certificate_pem;
    options.private_key_pem = test_pki().server.private_key_pem;
    options.wall_clock = tls::WallClock{&real_wall_clock, nullptr};
    return options;
}

class TlsServer final : public sim::ServerSecurity {
public:
    explicit TlsServer(const tls::Config& config) noexcept : config_(config) {}

    void begin() noexcept override {
        engine_.reset();
        engine_.emplace(config_);
        (void)engine_->start("");
    }
    std::size_t feed(bytes_view ciphertext) noexcept override {
        return engine_->feed_ciphertext(ciphertext);
    }
    Result<bool> advance() noexcept override { return engine_->handshake(); }
    [[nodiscard]] bool handshake_done() const noexcept override {
        return engine_ && engine_->handshake_done();
    }
    Result<std::size_t> read(mutable_bytes out) noexcept override {
        return engine_->read_plaintext(out);
    }
    Result<std::size_t> write(bytes_view plaintext) noexcept override {
        return engine_->write_plaintext(plaintext);
    }
    [[nodiscard]] bytes_view pending() const noexcept override {
        return engine_ ? engine_->pending_ciphertext() : bytes_view{};
    }
    void consume(std::size_t count) noexcept override { engine_->consume_ciphertext(count); }
    [[nodiscard]] bool resumed() const noexcept override {
        return engine_ && engine_->info().resumed;
    }

private:
    const tls::Config& config_;
    std::optional<tls::Engine> engine_;
};

}  // namespace mqtls::link::testing
