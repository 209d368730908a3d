// `mqtls pki revoke` / `mqtls pki crl` and the CRL `mqtls broker` configures (issue 12, item
// 10): one lost device is shut out without re-keying the fleet. Run as a user runs them: the
// built binary, a real Mosquitto on a loopback port, `mqtls pub` as the devices, and openssl as
// an independent reader of the CRL.
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/pki/pki.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::accepts_tcp;
using mqtls::cli_test::ChildProcess;
using mqtls::cli_test::count_of;
using mqtls::cli_test::eventually;
using mqtls::cli_test::exists;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_refused;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::free_port;
using mqtls::cli_test::permissions;
using mqtls::cli_test::read_file;
using mqtls::cli_test::run_mqtls;
using mqtls::cli_test::run_program;
using mqtls::testing::ProcessResult;
using std::chrono::milliseconds;
using std::chrono::seconds;

class CliPkiRevoke : public mqtls::cli_test::PkiFolderTest {
protected:
    CliPkiRevoke() : PkiFolderTest("mqtls-revoke-test-") {}

    [[nodiscard]] std::vector<std::string> broker_command(std::uint16_t port) const {
        return mqtls_broker_command(
            port, {"--require-certificate", "--acl-devices", "--collector", "collector"});
    }

    // `mqtls pub` as `device`, QoS 1 to its own topic.
    ProcessResult publish_as(std::uint16_t port, const std::string& device) {
        return run_mqtls({"pub", "-h", "127.0.0.1", "-p", std::to_string(port), "--cafile",
                          file("ca.crt"), "--cert", file(device + ".crt"), "--key",
                          file(device + ".key"), "-t", "telemetry/" + device + "/t", "-m", "1",
                          "-q", "1"});
    }

    [[nodiscard]] std::string serial_of(const std::string& certificate) const {
        auto pem = mqtls::pki::read_file(file(certificate));
        EXPECT_TRUE(pem);
        auto summary = mqtls::pki::describe_certificates(pem ? *pem : std::string{});
        EXPECT_TRUE(summary);
        return summary ? summary->front().serial_number : std::string{};
    }

    // What openssl reads in DIR/crl.pem, checked against DIR/ca.crt ("verify OK").
    [[nodiscard]] std::string openssl_crl_text() const {
        return run_program({"openssl", "crl", "-in", file("crl.pem"), "-CAfile", file("ca.crt"),
                            "-noout", "-text"})
            .output;
    }

    // A CRL signed by DIR's CA (read from the folder) with the given dates, written over
    // DIR/crl.pem: what an operator who forgot to re-issue it would have.
    void write_crl_with_dates(std::chrono::system_clock::time_point this_update,
                              std::chrono::system_clock::time_point next_update) const {
        auto certificate = mqtls::pki::read_file(file("ca.crt"));
        auto key = mqtls::pki::read_file(file("ca.key"));
        ASSERT_TRUE(certificate && key);
        mqtls::pki::CrlContents contents;
        contents.this_update = this_update;
        contents.next_update = next_update;
        contents.crl_number = 99;
        auto crl = mqtls::pki::make_crl(contents, {*certificate, *key});
        mqtls::pki::wipe_secret(*key);
        ASSERT_TRUE(crl);
        ASSERT_TRUE(mqtls::pki::replace_file(file("crl.pem"), *crl, 0644));
    }
};

void expect_refused_as_revoked(const ProcessResult& publish) {
    EXPECT_EQ(publish.exit_code, exit_refused) << publish.output;
    // TLS alert 44 is certificate_revoked (RFC 8446 section 6.2).
    EXPECT_NE(publish.output.find("certificate_revoked (alert 44)"), std::string::npos)
        << publish.output;
    EXPECT_NE(publish.output.find("has revoked the client certificate"), std::string::npos)
        << publish.output;
}

TEST_F(CliPkiRevoke, RevokedDeviceIsRefusedAfterARestartWhileTheOthersPublish) {
    make_pki({"device-1", "device-2", "collector"});
    // The CA issues only leaves: mqtls never makes intermediates.
    const auto ca_text =
        run_program({"openssl", "x509", "-in", file("ca.crt"), "-noout", "-text"}).output;
    EXPECT_NE(ca_text.find("CA:TRUE, pathlen:0"), std::string::npos) << ca_text;

    const std::uint16_t port = free_port();
    const std::string broker_output = temp_->file("broker.out");
    {
        ChildProcess broker(broker_command(port), broker_output);
        ASSERT_TRUE(broker.wait_listening(port)) << read_file(broker_output);
        EXPECT_EQ(publish_as(port, "device-1").exit_code, 0) << read_file(broker_output);
        EXPECT_EQ(publish_as(port, "device-2").exit_code, 0) << read_file(broker_output);

        const auto revoked =
            run_mqtls({"pki", "revoke", pki_, "device-2", "--reason", "keyCompromise"});
        ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
        EXPECT_NE(revoked.output.find("restart"), std::string::npos) << revoked.output;
        broker.signal(SIGTERM);
        ASSERT_TRUE(broker.wait_exit(seconds(10)).has_value());
    }
    ChildProcess broker(broker_command(port), broker_output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(broker_output);
    EXPECT_NE(read_file(broker_output).find("CRL " + file("crl.pem") + ": 1 revoked"),
              std::string::npos)
        << read_file(broker_output);

    expect_refused_as_revoked(publish_as(port, "device-2"));
    const auto other = publish_as(port, "device-1");
    EXPECT_EQ(other.exit_code, 0) << other.output << read_file(broker_output);
}

TEST_F(CliPkiRevoke, SighupMakesARunningBrokerRefuseNewConnectionsOfTheRevokedDevice) {
    make_pki({"device-1", "device-2", "collector"});
    // A CRL from the start: a broker started without one has no crlfile to re-read.
    const auto empty = run_mqtls({"pki", "crl", pki_});
    ASSERT_EQ(empty.exit_code, 0) << empty.output;
    const std::uint16_t port = free_port();
    const std::string broker_output = temp_->file("broker.out");
    ChildProcess broker(broker_command(port), broker_output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(broker_output);
    EXPECT_EQ(publish_as(port, "device-2").exit_code, 0) << read_file(broker_output);

    // device-2 stays connected through the revocation and the reload.
    const std::string subscriber_output = temp_->file("device-2-sub.out");
    ChildProcess connected({"mosquitto_sub", "--cafile", file("ca.crt"), "-h", "127.0.0.1", "-p",
                            std::to_string(port), "--cert", file("device-2.crt"), "--key",
                            file("device-2.key"), "-t", "telemetry/device-2/#", "-W", "30"},
                           subscriber_output);
    ASSERT_TRUE(eventually([&] { return count_of(read_file(broker_output), "u'device-2'") == 2; },
                           seconds(10)))
        << read_file(broker_output);

    const auto revoked = run_mqtls({"pki", "revoke", pki_, "device-2"});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    broker.signal(SIGHUP);  // mqtls broker passes it on to Mosquitto
    ASSERT_TRUE(eventually(
        [&] { return read_file(broker_output).find("Reloading config") != std::string::npos; },
        seconds(10)))
        << read_file(broker_output);
    EXPECT_TRUE(broker.running()) << "SIGHUP must reload the broker, not stop it";

    expect_refused_as_revoked(publish_as(port, "device-2"));
    EXPECT_EQ(publish_as(port, "device-1").exit_code, 0) << read_file(broker_output);
    // The documented limit of a reload: the connection device-2 already had is still open.
    EXPECT_TRUE(connected.running()) << read_file(subscriber_output);
}

TEST_F(CliPkiRevoke, RevokingTwiceChangesNothingAndAnUnknownDeviceIsAFileError) {
    make_pki({"device-1"});
    const auto unknown = run_mqtls({"pki", "revoke", pki_, "ghost"});
    EXPECT_EQ(unknown.exit_code, exit_file) << unknown.output;
    EXPECT_NE(unknown.output.find("there is no device 'ghost' in " + pki_), std::string::npos)
        << unknown.output;
    EXPECT_FALSE(exists(file("crl.pem")));
    EXPECT_FALSE(exists(file("revoked.txt")));

    const auto first = run_mqtls({"pki", "revoke", pki_, "device-1"});
    ASSERT_EQ(first.exit_code, 0) << first.output;
    const std::string crl = read_file(file("crl.pem"));
    const std::string record = read_file(file("revoked.txt"));
    const auto second = run_mqtls({"pki", "revoke", pki_, "device-1", "--reason", "superseded"});
    EXPECT_EQ(second.exit_code, 0) << second.output;
    EXPECT_NE(second.output.find("was already revoked on "), std::string::npos) << second.output;
    EXPECT_NE(second.output.find("(unspecified): nothing changed"), std::string::npos)
        << second.output;
    EXPECT_EQ(read_file(file("crl.pem")), crl);
    EXPECT_EQ(read_file(file("revoked.txt")), record);

    // A record ahead of its CRL (the CRL could not be written) is caught up by the retry.
    ASSERT_EQ(::unlink(file("crl.pem").c_str()), 0);
    const auto retry = run_mqtls({"pki", "revoke", pki_, "device-1"});
    EXPECT_EQ(retry.exit_code, 0) << retry.output;
    EXPECT_NE(retry.output.find("does not list it yet"), std::string::npos) << retry.output;
    EXPECT_NE(openssl_crl_text().find("Serial Number: " + serial_of("device-1.crt")),
              std::string::npos);
}

TEST_F(CliPkiRevoke, EveryCrlHasAGreaterNumberAndOpenSslVerifiesIt) {
    make_pki({"device-1", "device-2"});
    const auto revoked =
        run_mqtls({"pki", "revoke", pki_, "device-1", "--reason", "keyCompromise"});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    EXPECT_EQ(permissions(file("revoked.txt")), 0600u);
    EXPECT_EQ(permissions(file("crl.pem")), 0644u);
    std::string text = openssl_crl_text();
    EXPECT_NE(text.find("verify OK"), std::string::npos) << text;
    EXPECT_NE(text.find("Version 2 (0x1)"), std::string::npos) << text;
    EXPECT_NE(text.find("Issuer: CN = mqtls root CA"), std::string::npos) << text;
    EXPECT_NE(text.find("X509v3 CRL Number: \n                1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Serial Number: " + serial_of("device-1.crt")), std::string::npos) << text;
    EXPECT_NE(text.find("Key Compromise"), std::string::npos) << text;

    const auto reissued = run_mqtls({"pki", "crl", pki_, "--days", "7"});
    ASSERT_EQ(reissued.exit_code, 0) << reissued.output;
    EXPECT_NE(reissued.output.find("CRL number 2, 1 revoked certificate"), std::string::npos)
        << reissued.output;
    text = openssl_crl_text();
    EXPECT_NE(text.find("X509v3 CRL Number: \n                2\n"), std::string::npos) << text;

    const auto by_serial = run_mqtls({"pki", "revoke", pki_, "--serial", serial_of("device-2.crt"),
                                      "--reason", "cessationOfOperation"});
    ASSERT_EQ(by_serial.exit_code, 0) << by_serial.output;
    text = openssl_crl_text();
    EXPECT_NE(text.find("verify OK"), std::string::npos) << text;
    EXPECT_NE(text.find("X509v3 CRL Number: \n                3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Serial Number: " + serial_of("device-2.crt")), std::string::npos) << text;
    EXPECT_NE(text.find("Cessation Of Operation"), std::string::npos) << text;

    for (const char* device : {"device-1.crt", "device-2.crt"}) {
        const auto verify = run_program({"openssl", "verify", "-crl_check", "-CRLfile",
                                         file("crl.pem"), "-CAfile", file("ca.crt"), file(device)});
        EXPECT_NE(verify.exit_code, 0) << verify.output;
        EXPECT_NE(verify.output.find("certificate revoked"), std::string::npos) << verify.output;
    }
}

TEST_F(CliPkiRevoke, RevokesACertificateFileOfItsCaAndRefusesOthers) {
    make_pki({"device-1"});
    const std::string copy = temp_->file("elsewhere.crt");
    mqtls::cli_test::write_file(copy, read_file(file("device-1.crt")));
    const auto by_file = run_mqtls({"pki", "revoke", pki_, "--cert", copy});
    EXPECT_EQ(by_file.exit_code, 0) << by_file.output;
    EXPECT_NE(read_file(file("revoked.txt")).find(serial_of("device-1.crt") + " "),
              std::string::npos);
    EXPECT_NE(read_file(file("revoked.txt")).find(" device-1\n"), std::string::npos);

    const std::string other_pki = temp_->file("other");
    ASSERT_EQ(run_mqtls({"pki", "init", other_pki}).exit_code, 0);
    ASSERT_EQ(run_mqtls({"pki", "device", other_pki, "stranger"}).exit_code, 0);
    const std::string record = read_file(file("revoked.txt"));
    const auto foreign = run_mqtls({"pki", "revoke", pki_, "--cert", other_pki + "/stranger.crt"});
    EXPECT_EQ(foreign.exit_code, exit_file) << foreign.output;
    EXPECT_NE(foreign.output.find("was not issued by the CA of " + pki_), std::string::npos)
        << foreign.output;
    const auto own_ca = run_mqtls({"pki", "revoke", pki_, "ca"});
    EXPECT_EQ(own_ca.exit_code, exit_usage) << own_ca.output;
    EXPECT_NE(own_ca.output.find("is the CA's own certificate"), std::string::npos)
        << own_ca.output;
    EXPECT_EQ(read_file(file("revoked.txt")), record);

    const std::vector<std::vector<std::string>> bad_calls{
        {"pki", "revoke", pki_},
        {"pki", "revoke", pki_, "--serial", "not-hex"},
        {"pki", "revoke", pki_, "--serial", "00"},
        {"pki", "revoke", pki_, "device-1", "--reason", "certificateHold"},
        {"pki", "revoke", pki_, "device-1", "--serial", "01"},
        {"pki", "revoke", pki_, "../escape"},
        {"pki", "crl", pki_, "--days", "0"},
    };
    for (const auto& call : bad_calls) {
        const auto result = run_mqtls(call);
        std::string joined;
        for (const auto& argument : call) joined += argument + " ";
        EXPECT_EQ(result.exit_code, exit_usage) << joined << "\n" << result.output;
    }
    EXPECT_EQ(read_file(file("revoked.txt")), record);
}

TEST_F(CliPkiRevoke, BrokerConfiguresTheCrlOnlyWhenThereIsOneAndCertificatesAreRequired) {
    make_pki({});
    const auto config = [&](bool require_certificate) {
        std::vector<std::string> call{"broker", "--pki", pki_, "--print-config"};
        if (require_certificate) {
            call.emplace_back("--require-certificate");
        } else {
            call.insert(call.end(), {"--user", "someone:secret-password"});
        }
        const auto result = run_mqtls(call);
        EXPECT_EQ(result.exit_code, 0) << result.output;
        return result.output;
    };
    EXPECT_EQ(config(true).find("crlfile"), std::string::npos);
    ASSERT_EQ(run_mqtls({"pki", "crl", pki_}).exit_code, 0);
    const std::string with_crl = config(true);
    EXPECT_NE(with_crl.find("\ncrlfile " + file("crl.pem") + "\n"), std::string::npos) << with_crl;
    EXPECT_LT(with_crl.find("\nlistener "), with_crl.find("\ncrlfile ")) << with_crl;
    // Without client certificates there is nothing for a CRL to refuse.
    EXPECT_EQ(config(false).find("crlfile"), std::string::npos);
}

TEST_F(CliPkiRevoke, BrokerDoesNotStartWithACrlThatWouldMakeMosquittoRefuseEveryDevice) {
    make_pki({"device-1"});
    const auto now = std::chrono::time_point_cast<seconds>(std::chrono::system_clock::now());
    const std::uint16_t port = free_port();

    write_crl_with_dates(now - std::chrono::hours(48), now - std::chrono::hours(24));
    auto result = run_mqtls(
        {"broker", "--pki", pki_, "--port", std::to_string(port), "--require-certificate"});
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("the CRL " + file("crl.pem") + " is not usable: it expired on"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("refuses EVERY client certificate"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("mqtls pki crl " + pki_), std::string::npos) << result.output;
    EXPECT_FALSE(accepts_tcp(port));

    write_crl_with_dates(now + std::chrono::hours(2), now + std::chrono::hours(48));
    result = run_mqtls(
        {"broker", "--pki", pki_, "--port", std::to_string(port), "--require-certificate"});
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("it is valid only from"), std::string::npos) << result.output;

    // A CRL of another CA: OpenSSL would find none for this one.
    const std::string other_pki = temp_->file("other");
    ASSERT_EQ(run_mqtls({"pki", "init", other_pki}).exit_code, 0);
    ASSERT_EQ(run_mqtls({"pki", "crl", other_pki}).exit_code, 0);
    ASSERT_EQ(::rename((other_pki + "/crl.pem").c_str(), file("crl.pem").c_str()), 0);
    result = run_mqtls(
        {"broker", "--pki", pki_, "--port", std::to_string(port), "--require-certificate"});
    EXPECT_EQ(result.exit_code, exit_file) << result.output;
    EXPECT_NE(result.output.find("it was not signed by the CA " + file("ca.crt")),
              std::string::npos)
        << result.output;
    EXPECT_FALSE(accepts_tcp(port));
}

TEST_F(CliPkiRevoke, BrokerWarnsWhenTheCrlEndsWithinThirtyDays) {
    make_pki({"device-1", "collector"});
    ASSERT_EQ(run_mqtls({"pki", "crl", pki_, "--days", "10"}).exit_code, 0);
    const std::uint16_t port = free_port();
    const std::string broker_output = temp_->file("broker.out");
    ChildProcess broker(broker_command(port), broker_output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(broker_output);
    const std::string output = read_file(broker_output);
    EXPECT_NE(output.find("warning: the CRL " + file("crl.pem") + " expires on "),
              std::string::npos)
        << output;
    EXPECT_NE(output.find("refuses EVERY device"), std::string::npos) << output;
    EXPECT_EQ(publish_as(port, "device-1").exit_code, 0) << read_file(broker_output);
}

TEST_F(CliPkiRevoke, HelpSaysHowRevocationReachesTheBroker) {
    const auto revoke = run_mqtls({"pki", "revoke", "--help"});
    EXPECT_EQ(revoke.exit_code, 0) << revoke.output;
    EXPECT_NE(revoke.output.find("--reason"), std::string::npos) << revoke.output;
    EXPECT_NE(revoke.output.find("keyCompromise"), std::string::npos) << revoke.output;
    EXPECT_NE(revoke.output.find("restart the broker"), std::string::npos) << revoke.output;
    const auto crl = run_mqtls({"pki", "crl", "--help"});
    EXPECT_EQ(crl.exit_code, 0) << crl.output;
    EXPECT_NE(crl.output.find("refuses every device"), std::string::npos) << crl.output;
    const auto broker = run_mqtls({"broker", "--help"});
    EXPECT_NE(broker.output.find("crl.pem"), std::string::npos) << broker.output;
}

}  // namespace
