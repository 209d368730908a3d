// ALPN (RFC 7301): what a client offers, what a server picks, and the refusals on both sides that
// a broker multiplexing one port by protocol (AWS IoT Core on 443) depends on.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tls_test_support.hpp"

namespace mqtls::tls {
namespace {

using testing::client_options;
using testing::handshake_pair;
using testing::server_options;
using testing::test_pki;

constexpr std::string_view aws_protocol = "x-amzn-mqtt-ca";

ConfigOptions client_offering(std::vector<std::string_view> protocols, bool required = false) {
    ConfigOptions options = client_options(test_pki().root.certificate_pem);
    options.alpn_protocols = std::move(protocols);
    options.alpn_required = required;
    return options;
}

// A stand-in for a broker that serves MQTT on this port only under `protocols`.
ConfigOptions server_requiring(std::vector<std::string_view> protocols) {
    ConfigOptions options = server_options(test_pki().server);
    options.alpn_protocols = std::move(protocols);
    options.alpn_required = true;
    return options;
}

// What the server says when the client's alert reaches it after its own handshake finished.
Error server_read_error(Engine& server) {
    std::uint8_t buffer[64];
    for (int i = 0; i < 4; ++i) {
        auto read = server.read_plaintext(buffer);
        if (!read) return read.error();
    }
    return Error{Errc::invalid_argument, -1};  // nothing refused: the test fails on this
}

TEST(TlsAlpn, ServerPicksItsFirstProtocolThatTheClientOffered) {
    auto p = handshake_pair(client_offering({"mqtt", aws_protocol}),
                            server_requiring({aws_protocol, "mqtt"}), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    EXPECT_EQ(p->client->negotiated_alpn(), aws_protocol);
    EXPECT_EQ(p->server->negotiated_alpn(), aws_protocol);
    EXPECT_EQ(p->client->info().alpn_protocol, aws_protocol);
}

TEST(TlsAlpn, ServerRequiringAProtocolRefusesAClientThatOfferedNone) {
    auto p = handshake_pair(client_options(test_pki().root.certificate_pem),
                            server_requiring({aws_protocol}), "broker.test");
    ASSERT_FALSE(p->outcome.client);
    EXPECT_EQ(p->outcome.client.error().code, Errc::alpn_refused);
    EXPECT_EQ(p->outcome.client.error().detail, 120);  // no_application_protocol
    ASSERT_FALSE(p->outcome.server);
    EXPECT_EQ(p->outcome.server.error().code, Errc::alpn_refused);
    EXPECT_FALSE(p->client->handshake_done());
}

TEST(TlsAlpn, ServerRefusesAClientOfferingOnlyOtherProtocols) {
    auto p =
        handshake_pair(client_offering({"mqtt"}), server_requiring({aws_protocol}), "broker.test");
    ASSERT_FALSE(p->outcome.client);
    EXPECT_EQ(p->outcome.client.error().code, Errc::alpn_refused);
    EXPECT_EQ(p->outcome.client.error().detail, 120);
    ASSERT_FALSE(p->outcome.server);
    EXPECT_EQ(p->outcome.server.error().code, Errc::alpn_refused);
}

TEST(TlsAlpn, ClientAcceptsAServerThatIgnoresItsOfferUnlessItRequiresOne) {
    // RFC 7301 lets a server without ALPN (Mosquitto) ignore the extension.
    auto tolerant =
        handshake_pair(client_offering({"mqtt"}), server_options(test_pki().server), "broker.test");
    ASSERT_TRUE(tolerant->outcome.both_done());
    EXPECT_TRUE(tolerant->client->negotiated_alpn().empty());

    auto strict = handshake_pair(client_offering({"mqtt"}, /*required=*/true),
                                 server_options(test_pki().server), "broker.test");
    ASSERT_FALSE(strict->outcome.client);
    EXPECT_EQ(strict->outcome.client.error().code, Errc::alpn_refused);
    EXPECT_EQ(strict->outcome.client.error().detail, 0);
    // Final: asking again does not turn the refusal into a finished handshake.
    EXPECT_FALSE(strict->client->handshake());
    EXPECT_FALSE(strict->client->handshake_done());
    EXPECT_FALSE(strict->client->write_plaintext(as_bytes("x", 1)));
    // The server finished its side; our no_application_protocol alert ends it there.
    testing::transfer(*strict->client, *strict->server);
    EXPECT_EQ(server_read_error(*strict->server).code, Errc::alpn_refused);
}

TEST(TlsAlpn, WithoutProtocolsNothingIsNegotiated) {
    auto p = handshake_pair(client_options(test_pki().root.certificate_pem),
                            server_options(test_pki().server), "broker.test");
    ASSERT_TRUE(p->outcome.both_done());
    EXPECT_TRUE(p->client->negotiated_alpn().empty());
    EXPECT_TRUE(p->client->info().alpn_protocol.empty());
}

TEST(TlsAlpn, ProtocolNamesOutsideOneTo255BytesAreRefusedBySetup) {
    const std::string too_long(256, 'p');
    struct Case {
        std::vector<std::string_view> protocols;
        bool required;
        std::int32_t detail;  // the index of the bad name
    };
    const Case cases[] = {
        {{"mqtt", ""}, false, 1},
        {{too_long}, false, 0},
        {{}, true, 0},  // required, but nothing to agree on
    };
    for (const Case& c : cases) {
        Config config;
        auto set_up = config.setup(client_offering(c.protocols, c.required));
        ASSERT_FALSE(set_up);
        EXPECT_EQ(set_up.error().code, Errc::invalid_argument);
        EXPECT_EQ(set_up.error().detail, c.detail);
    }
    Config longest;
    const std::string longest_name(255, 'p');
    EXPECT_TRUE(longest.setup(client_offering({longest_name})));
}

TEST(TlsAlpn, TheConfigKeepsItsOwnCopyOfTheNames) {
    // The caller's strings may be gone by the handshake (a CLI argument vector, a parsed file).
    Config client_config;
    {
        std::string name(aws_protocol);
        ASSERT_TRUE(client_config.setup(client_offering({name})));
        name.assign(name.size(), 'X');
    }
    Config server_config;
    ASSERT_TRUE(server_config.setup(server_requiring({aws_protocol})));
    Engine client(client_config);
    Engine server(server_config);
    ASSERT_TRUE(client.start("broker.test"));
    ASSERT_TRUE(server.start(""));
    const auto outcome = testing::run_handshake(client, server);
    ASSERT_TRUE(outcome.both_done());
    EXPECT_EQ(client.negotiated_alpn(), aws_protocol);
}

}  // namespace
}  // namespace mqtls::tls
