// `mqtls pki sign`, `pki show` and `--days`, run as a user runs them: keys and requests made by
// openssl (an independent implementation), certificates checked by `openssl verify` and by a
// Mosquitto started with `mqtls broker --require-certificate`.
#include <dirent.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/pki/pki.hpp"
#include "mqtls/testing/process.hpp"
#include "support/cli_test_support.hpp"

namespace {

using mqtls::cli_test::ChildProcess;
using mqtls::cli_test::exists;
using mqtls::cli_test::exit_file;
using mqtls::cli_test::exit_usage;
using mqtls::cli_test::free_port;
using mqtls::cli_test::read_file;
using mqtls::cli_test::run_mqtls;
using mqtls::cli_test::run_program;
using mqtls::cli_test::write_file;
using mqtls::testing::ProcessResult;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

std::string joined(const std::vector<std::string>& arguments) {
    std::string text;
    for (const auto& argument : arguments) text += argument + " ";
    return text;
}

std::set<std::string> files_in(const std::string& directory) {
    std::set<std::string> names;
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) return names;
    while (const dirent* entry = ::readdir(dir)) names.insert(entry->d_name);
    ::closedir(dir);
    return names;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The notAfter of the first certificate in `path`, read with the pki layer.
Clock::time_point not_after_of(const std::string& path) {
    auto pem = mqtls::pki::read_file(path);
    EXPECT_TRUE(pem) << path;
    if (!pem) return {};
    auto summaries = mqtls::pki::describe_certificates(*pem);
    EXPECT_TRUE(summaries && !summaries->empty()) << path;
    return summaries && !summaries->empty() ? summaries->front().not_after : Clock::time_point{};
}

// A PKI made with `mqtls pki init` in a fresh directory, and openssl to make device keys and
// their requests.
class CliPkiSign : public mqtls::cli_test::PkiFolderTest {
protected:
    CliPkiSign() : PkiFolderTest("mqtls-cli-sign-") {}

    void set_up_in_directory() override {
        if (!run_program({"openssl", "version"}).succeeded()) {
            GTEST_SKIP() << "the openssl command is not installed";
        }
    }

    void init_pki(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> arguments{"pki", "init", pki_};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        const auto init = run_mqtls(arguments);
        ASSERT_EQ(init.exit_code, 0) << init.output;
    }

    // An openssl key in `name`, outside the PKI directory; `algorithm`: genpkey arguments.
    std::string make_key(const std::string& name, const std::vector<std::string>& algorithm) {
        std::string path = temp_->file(name);
        std::vector<std::string> arguments{"openssl", "genpkey", "-out", path};
        arguments.insert(arguments.end(), algorithm.begin(), algorithm.end());
        const auto made = run_program(arguments);
        EXPECT_EQ(made.exit_code, 0) << made.output;
        return path;
    }

    std::string make_ec_key(const std::string& name, const std::string& curve = "P-256") {
        return make_key(name, {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + curve});
    }

    // A request for `key` with `subject` (openssl's "/CN=..." form) and any extra openssl req
    // arguments (e.g. "-outform", "DER", "-sha1").
    std::string make_request(const std::string& key, const std::string& subject,
                             const std::string& name, const std::vector<std::string>& extra = {}) {
        std::string path = temp_->file(name);
        std::vector<std::string> arguments{"openssl", "req",   "-new", "-key", key,
                                           "-subj",   subject, "-out", path};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        const auto made = run_program(arguments);
        EXPECT_EQ(made.exit_code, 0) << made.output;
        return path;
    }
};

TEST_F(CliPkiSign, OpensslRequestIsSignedVerifiedAndAcceptedByTheBroker) {
    init_pki();
    ASSERT_EQ(run_mqtls({"pki", "server", pki_, "--san", "127.0.0.1"}).exit_code, 0);
    ASSERT_EQ(run_mqtls({"pki", "device", pki_, "collector"}).exit_code, 0);
    const std::string key = make_ec_key("device.key");
    const std::string request = make_request(key, "/CN=sensor-42", "device.csr");

    const auto sign = run_mqtls({"pki", "sign", pki_, request});
    ASSERT_EQ(sign.exit_code, 0) << sign.output;
    EXPECT_TRUE(contains(sign.output, "wrote " + file("sensor-42.crt"))) << sign.output;
    EXPECT_TRUE(contains(sign.output, "device certificate CN=sensor-42 (ecdsa-p256"))
        << sign.output;
    EXPECT_TRUE(contains(
        sign.output, "valid until " + mqtls::pki::iso8601_utc(not_after_of(file("sensor-42.crt")))))
        << sign.output;
    EXPECT_FALSE(contains(sign.output, "warning")) << sign.output;
    // The key never came to the CA: nothing but the certificate was written.
    EXPECT_FALSE(exists(file("sensor-42.key")));

    const auto verify = run_program({"openssl", "verify", "-CAfile", file("ca.crt"), "-purpose",
                                     "sslclient", file("sensor-42.crt")});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    const auto subject = run_program({"openssl", "x509", "-noout", "-subject", "-ext",
                                      "extendedKeyUsage", "-in", file("sensor-42.crt")});
    EXPECT_TRUE(contains(subject.output, "CN = sensor-42")) << subject.output;
    EXPECT_TRUE(contains(subject.output, "TLS Web Client Authentication")) << subject.output;
    // The certificate holds the device's own public key.
    const auto certified_key =
        run_program({"openssl", "x509", "-noout", "-pubkey", "-in", file("sensor-42.crt")});
    const auto device_public_key = run_program({"openssl", "pkey", "-pubout", "-in", key});
    EXPECT_EQ(certified_key.output, device_public_key.output);

    const std::uint16_t port = free_port();
    const std::string broker_output = temp_->file("broker.out");
    ChildProcess broker(mqtls_broker_command(port, {"--require-certificate", "--acl-devices",
                                                    "--collector", "collector"}),
                        broker_output);
    ASSERT_TRUE(broker.wait_listening(port)) << read_file(broker_output);
    const std::vector<std::string> connection{"-h",       "127.0.0.1",   "-p", std::to_string(port),
                                              "--cafile", file("ca.crt")};
    std::vector<std::string> publish{"pub"};
    publish.insert(publish.end(), connection.begin(), connection.end());
    publish.insert(publish.end(), {"--cert", file("sensor-42.crt"), "--key", key, "-i", "sensor-42",
                                   "-t", "telemetry/sensor-42/t", "-m", "21.5", "-q", "1", "-r"});
    const auto published = run_mqtls(publish);
    EXPECT_EQ(published.exit_code, 0) << published.output << "\n" << read_file(broker_output);

    // The broker took the CN as the user name: the ACL let it write its own topic, and the
    // collector reads what it retained.
    std::vector<std::string> subscribe{"sub"};
    subscribe.insert(subscribe.end(), connection.begin(), connection.end());
    subscribe.insert(subscribe.end(),
                     {"--cert", file("collector.crt"), "--key", file("collector.key"), "-t",
                      "telemetry/#", "-v", "-C", "1", "-W", "10"});
    const auto received = run_mqtls(subscribe);
    EXPECT_EQ(received.exit_code, 0) << received.output;
    EXPECT_TRUE(contains(received.output, "telemetry/sensor-42/t 21.5")) << received.output;

    // The same certificate with a key that is not its own is refused before connecting.
    const std::string other_key = make_ec_key("other.key");
    std::vector<std::string> wrong_key{"pub"};
    wrong_key.insert(wrong_key.end(), connection.begin(), connection.end());
    wrong_key.insert(wrong_key.end(), {"--cert", file("sensor-42.crt"), "--key", other_key, "-t",
                                       "telemetry/sensor-42/t", "-m", "x"});
    EXPECT_EQ(run_mqtls(wrong_key).exit_code, exit_file);

    broker.terminate();
    EXPECT_TRUE(broker.wait_exit(5s).has_value());
}

TEST_F(CliPkiSign, RsaRequestInDerFormGoesWhereOutSays) {
    init_pki();
    const std::string key =
        make_key("rsa.key", {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"});
    const std::string request =
        make_request(key, "/O=Acme/CN=rsa-device", "rsa.der", {"-outform", "DER"});
    const std::string output = temp_->file("elsewhere.crt");
    const auto sign = run_mqtls({"pki", "sign", pki_, request, "--out", output});
    ASSERT_EQ(sign.exit_code, 0) << sign.output;
    EXPECT_TRUE(contains(sign.output, "(rsa-3072 key")) << sign.output;
    // The O= of the request is dropped, and the user is told so.
    EXPECT_TRUE(contains(sign.output, "note: only the request's CN and key are used"))
        << sign.output;
    EXPECT_FALSE(exists(file("rsa-device.crt")));
    const auto verify = run_program({"openssl", "verify", "-CAfile", file("ca.crt"), output});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    const auto text =
        run_program({"openssl", "x509", "-noout", "-subject", "-ext", "keyUsage", "-in", output});
    EXPECT_TRUE(contains(text.output, "subject=CN = rsa-device")) << text.output;
    EXPECT_TRUE(contains(text.output, "Digital Signature, Key Encipherment")) << text.output;
}

TEST_F(CliPkiSign, ServerRequestGetsTheGivenNames) {
    init_pki();
    const std::string key = make_ec_key("broker.key", "P-384");
    const std::string request = make_request(key, "/CN=broker.example", "broker.csr", {"-sha384"});
    const std::string output = temp_->file("broker.crt");
    const auto sign = run_mqtls({"pki", "sign", pki_, request, "--server", "--san",
                                 "broker.example", "--san", "127.0.0.1", "--out", output});
    ASSERT_EQ(sign.exit_code, 0) << sign.output;
    EXPECT_TRUE(contains(sign.output, "server certificate CN=broker.example (ecdsa-p384"))
        << sign.output;
    EXPECT_TRUE(contains(sign.output, "DNS:broker.example IP:127.0.0.1")) << sign.output;
    auto pem = mqtls::pki::read_file(output);
    ASSERT_TRUE(pem);
    auto pin = mqtls::pki::spki_sha256_hex(*pem);
    ASSERT_TRUE(pin);
    EXPECT_TRUE(contains(sign.output, "pin (for --pin-sha256): " + *pin)) << sign.output;
    const auto verify = run_program({"openssl", "verify", "-CAfile", file("ca.crt"), "-purpose",
                                     "sslserver", "-verify_ip", "127.0.0.1", output});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST_F(CliPkiSign, BadRequestsAreRefusedAndWriteNothing) {
    init_pki();
    const std::string key = make_ec_key("device.key");
    // A signature byte flipped after openssl signed it.
    const std::string good = make_request(key, "/CN=sensor-43", "good.der", {"-outform", "DER"});
    std::string tampered = read_file(good);
    ASSERT_GT(tampered.size(), 10U);
    tampered[tampered.size() - 3] = static_cast<char>(tampered[tampered.size() - 3] ^ 0x01);
    write_file(temp_->file("tampered.der"), tampered);

    const std::string weak_rsa = make_request(
        make_key("rsa1024.key", {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"}),
        "/CN=weak-rsa", "weak-rsa.csr");
    const std::string weak_ec =
        make_request(make_ec_key("p192.key", "P-192"), "/CN=weak-ec", "weak-ec.csr");
    struct Case {
        std::string request;
        std::string message;
    };
    const std::vector<Case> cases{
        {temp_->file("tampered.der"), "signature does not verify with the key it carries"},
        {weak_rsa, "key is of a type or size mqtls does not accept"},
        {weak_ec, "key is of a type or size mqtls does not accept"},
        {make_request(key, "/CN=sha1-device", "sha1.csr", {"-sha1"}),
         "signed with an algorithm mqtls does not accept"},
        {make_request(key, "/CN=has space", "space.csr"),
         "the CN must be printable ASCII without spaces"},
        {make_request(key, "/CN=wild#card", "wild.csr"), "the CN must not contain '/', '+'"},
        {make_request(key, "/CN=a/CN=b", "two.csr"), "common name (CN) is missing, repeated"},
        {make_request(key, "/O=Acme", "none.csr"), "common name (CN) is missing, repeated"},
        {file("ca.crt"), "not a certificate signing request"},
        {temp_->file("missing.csr"), "could not be read"},
    };
    const auto before = files_in(pki_);
    for (const auto& bad : cases) {
        const auto sign = run_mqtls({"pki", "sign", pki_, bad.request});
        EXPECT_EQ(sign.exit_code, exit_file) << bad.request << "\n" << sign.output;
        EXPECT_TRUE(contains(sign.output, bad.message)) << bad.request << "\n" << sign.output;
        EXPECT_TRUE(contains(sign.output, "hint: ")) << sign.output;
    }
    EXPECT_EQ(files_in(pki_), before);
    // The untampered request is fine, so the tampering was what got refused.
    EXPECT_EQ(run_mqtls({"pki", "sign", pki_, good}).exit_code, 0);
}

TEST_F(CliPkiSign, NeverOverwrites) {
    init_pki();
    const std::string request =
        make_request(make_ec_key("device.key"), "/CN=sensor-44", "device.csr");
    ASSERT_EQ(run_mqtls({"pki", "sign", pki_, request}).exit_code, 0);
    const std::string first = read_file(file("sensor-44.crt"));
    const auto again = run_mqtls({"pki", "sign", pki_, request});
    EXPECT_EQ(again.exit_code, exit_file) << again.output;
    EXPECT_TRUE(contains(again.output, "will not be overwritten")) << again.output;
    EXPECT_EQ(read_file(file("sensor-44.crt")), first);
    const auto onto_the_ca = run_mqtls({"pki", "sign", pki_, request, "--out", file("ca.crt")});
    EXPECT_EQ(onto_the_ca.exit_code, exit_file) << onto_the_ca.output;
}

TEST_F(CliPkiSign, MalformedArgumentsAreUsageErrors) {
    init_pki();
    const std::string request =
        make_request(make_ec_key("device.key"), "/CN=sensor-45", "device.csr");
    const std::vector<std::vector<std::string>> bad_calls{
        {"pki", "sign", pki_},
        {"pki", "sign", pki_, request, "--days", "0"},
        {"pki", "sign", pki_, request, "--days", "-3"},
        {"pki", "sign", pki_, request, "--days", "36501"},
        {"pki", "sign", pki_, request, "--days", "ten"},
        {"pki", "sign", pki_, request, "--san", "localhost"},  // --san needs --server
        {"pki", "sign", pki_, request, "--server"},            // --server needs --san
        {"pki", "sign", pki_, request, "--server", "--san", "bad_name!"},
        {"pki", "device", pki_, "sensor-46", "--days", "0"},
        {"pki", "server", pki_, "--san", "localhost", "--days", "99999"},
        {"pki", "init", temp_->file("other"), "--days", "0"},
    };
    for (const auto& call : bad_calls) {
        const auto result = run_mqtls(call);
        EXPECT_EQ(result.exit_code, exit_usage) << joined(call) << "\n" << result.output;
        EXPECT_FALSE(result.output.empty()) << joined(call);
    }
    EXPECT_FALSE(exists(file("sensor-45.crt")));
    EXPECT_FALSE(exists(file("sensor-46.crt")));
    EXPECT_FALSE(exists(temp_->file("other")));
    const auto help = run_mqtls({"pki", "sign", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_TRUE(contains(help.output, "--days")) << help.output;
}

using CliPkiDays = CliPkiSign;

TEST_F(CliPkiDays, DefaultsAreTenYearsAndOneYearWithoutWarnings) {
    const auto before = Clock::now();
    const auto init = run_mqtls({"pki", "init", pki_});
    ASSERT_EQ(init.exit_code, 0) << init.output;
    const auto device = run_mqtls({"pki", "device", pki_, "sensor-1"});
    ASSERT_EQ(device.exit_code, 0) << device.output;
    const auto after = Clock::now();
    EXPECT_TRUE(contains(init.output, "(3650 days)")) << init.output;
    EXPECT_TRUE(contains(device.output, "(365 days)")) << device.output;
    EXPECT_FALSE(contains(init.output + device.output, "warning")) << init.output << device.output;
    EXPECT_GE(not_after_of(file("ca.crt")), before + 24h * 3650 - 1s);
    EXPECT_LE(not_after_of(file("ca.crt")), after + 24h * 3650);
    EXPECT_GE(not_after_of(file("sensor-1.crt")), before + 24h * 365 - 1s);
    EXPECT_LE(not_after_of(file("sensor-1.crt")), after + 24h * 365);
}

TEST_F(CliPkiDays, ShortValidityIsHonouredAndWarnedAbout) {
    init_pki();
    const auto before = Clock::now();
    const auto device = run_mqtls({"pki", "device", pki_, "sensor-2", "--days", "10"});
    const auto after = Clock::now();
    ASSERT_EQ(device.exit_code, 0) << device.output;
    const auto not_after = not_after_of(file("sensor-2.crt"));
    EXPECT_GE(not_after, before + 24h * 10 - 1s);
    EXPECT_LE(not_after, after + 24h * 10);
    EXPECT_TRUE(
        contains(device.output, "valid until " + mqtls::pki::iso8601_utc(not_after) + " (10 days)"))
        << device.output;
    EXPECT_TRUE(contains(device.output,
                         "mqtls pki device: warning: the certificate expires in 10 days, on " +
                             mqtls::pki::iso8601_utc(not_after)))
        << device.output;

    const std::string request =
        make_request(make_ec_key("device.key"), "/CN=sensor-3", "device.csr");
    const auto sign = run_mqtls({"pki", "sign", pki_, request, "--days", "10"});
    ASSERT_EQ(sign.exit_code, 0) << sign.output;
    EXPECT_TRUE(
        contains(sign.output, "mqtls pki sign: warning: the certificate expires in 10 days"))
        << sign.output;
    const auto server = run_mqtls({"pki", "server", pki_, "--san", "localhost", "--days", "29"});
    ASSERT_EQ(server.exit_code, 0) << server.output;
    EXPECT_TRUE(contains(server.output, "warning: the certificate expires in 29 days"))
        << server.output;
    // A month and a day is not worth a warning.
    const auto longer = run_mqtls({"pki", "device", pki_, "sensor-4", "--days", "31"});
    ASSERT_EQ(longer.exit_code, 0) << longer.output;
    EXPECT_FALSE(contains(longer.output, "warning")) << longer.output;
}

TEST_F(CliPkiDays, CertificateEndsWhenItsCaEnds) {
    const auto init = run_mqtls({"pki", "init", pki_, "--days", "20"});
    ASSERT_EQ(init.exit_code, 0) << init.output;
    EXPECT_TRUE(contains(init.output, "warning: the certificate expires in 20 days"))
        << init.output;
    const auto ca_end = not_after_of(file("ca.crt"));

    const auto device = run_mqtls({"pki", "device", pki_, "sensor-5"});  // 365 days asked for
    ASSERT_EQ(device.exit_code, 0) << device.output;
    EXPECT_EQ(not_after_of(file("sensor-5.crt")), ca_end);
    EXPECT_TRUE(contains(device.output, "warning: the CA (" + file("ca.crt") + ") expires on " +
                                            mqtls::pki::iso8601_utc(ca_end) +
                                            ", in 20 days, before the 365 days asked for"))
        << device.output;
    const auto verify =
        run_program({"openssl", "verify", "-CAfile", file("ca.crt"), file("sensor-5.crt")});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST_F(CliPkiDays, ExpiredCaIsRefused) {
    // An expired CA, written with the pki layer: the commands cannot make one.
    ASSERT_EQ(::mkdir(pki_.c_str(), 0700), 0);
    auto request = mqtls::pki::ca_request("expired CA");
    request.validity = mqtls::pki::Validity::relative_to_now(-48h, -24h);
    auto ca = mqtls::pki::make_self_signed(request);
    ASSERT_TRUE(ca);
    ASSERT_TRUE(mqtls::pki::write_public_file(file("ca.crt"), ca->certificate_pem));
    ASSERT_TRUE(mqtls::pki::write_private_key_file(file("ca.key"), ca->private_key_pem));

    const auto device = run_mqtls({"pki", "device", pki_, "sensor-6"});
    EXPECT_EQ(device.exit_code, exit_file) << device.output;
    EXPECT_TRUE(contains(device.output, "the CA's certificate has expired")) << device.output;
    EXPECT_FALSE(exists(file("sensor-6.crt")));
    EXPECT_FALSE(exists(file("sensor-6.key")));
    const std::string csr = make_request(make_ec_key("device.key"), "/CN=sensor-7", "device.csr");
    const auto sign = run_mqtls({"pki", "sign", pki_, csr});
    EXPECT_EQ(sign.exit_code, exit_file) << sign.output;
    EXPECT_FALSE(exists(file("sensor-7.crt")));

    // `pki show` still shows it, with a warning, and succeeds.
    const auto show = run_mqtls({"pki", "show", file("ca.crt")});
    EXPECT_EQ(show.exit_code, 0) << show.output;
    EXPECT_TRUE(contains(show.output, "(expired 1 day ago)")) << show.output;
    EXPECT_TRUE(contains(show.output, "warning: " + file("ca.crt") + " expired on")) << show.output;
}

using CliPkiShow = CliPkiSign;

TEST_F(CliPkiShow, PrintsWhatTheCertificateSays) {
    init_pki();
    const auto server =
        run_mqtls({"pki", "server", pki_, "--san", "localhost", "--san", "127.0.0.1"});
    ASSERT_EQ(server.exit_code, 0) << server.output;
    const auto show = run_mqtls({"pki", "show", file("broker.crt")});
    ASSERT_EQ(show.exit_code, 0) << show.output;
    const std::string& out = show.output;
    EXPECT_TRUE(contains(out, "subject:        CN=localhost\n")) << out;
    EXPECT_TRUE(contains(out, "issuer:         CN=mqtls root CA\n")) << out;
    EXPECT_TRUE(contains(out, "subjectAltName: DNS:localhost, IP:127.0.0.1\n")) << out;
    EXPECT_TRUE(contains(out, "days left:      365\n")) << out;
    EXPECT_TRUE(contains(out, "key:            ecdsa-p256\n")) << out;
    EXPECT_TRUE(contains(
        out, "not after:      " + mqtls::pki::iso8601_utc(not_after_of(file("broker.crt")))))
        << out;
    EXPECT_FALSE(contains(out, "warning")) << out;
    auto pem = mqtls::pki::read_file(file("broker.crt"));
    ASSERT_TRUE(pem);
    auto pin = mqtls::pki::spki_sha256_hex(*pem);
    ASSERT_TRUE(pin);
    EXPECT_TRUE(contains(out, "pin-sha256:     " + *pin + "\n")) << out;
    // The serial is openssl's, with colons between the octets.
    const auto serial =
        run_program({"openssl", "x509", "-noout", "-serial", "-in", file("broker.crt")});
    std::string expected = serial.output.substr(serial.output.find('=') + 1);
    expected.erase(expected.find_last_not_of('\n') + 1);
    std::string shown = out.substr(out.find("serial:         ") + 16);
    shown = shown.substr(0, shown.find('\n'));
    std::string shown_digits;
    for (const char character : shown) {
        if (character != ':') shown_digits += character;
    }
    EXPECT_EQ(shown_digits, expected) << out;
}

TEST_F(CliPkiShow, BundlesAreShownCertificateByCertificate) {
    init_pki();
    ASSERT_EQ(run_mqtls({"pki", "device", pki_, "sensor-8", "--days", "5"}).exit_code, 0);
    const std::string bundle = temp_->file("bundle.pem");
    write_file(bundle, read_file(file("sensor-8.crt")) + read_file(file("ca.crt")));
    const auto show = run_mqtls({"pki", "show", bundle});
    ASSERT_EQ(show.exit_code, 0) << show.output;
    EXPECT_TRUE(contains(show.output, "certificate 1 of 2\nsubject:        CN=sensor-8"))
        << show.output;
    EXPECT_TRUE(contains(show.output, "certificate 2 of 2\nsubject:        CN=mqtls root CA"))
        << show.output;
    // Only the device certificate is close to its end.
    EXPECT_TRUE(contains(show.output, "warning: " + bundle + " #1 expires in 5 days"))
        << show.output;
    EXPECT_FALSE(contains(show.output, bundle + " #2 expires")) << show.output;
}

TEST_F(CliPkiShow, WhatIsNotACertificateIsAFileError) {
    init_pki();
    for (const std::string& path : {file("ca.key"), temp_->file("missing.crt")}) {
        const auto show = run_mqtls({"pki", "show", path});
        EXPECT_EQ(show.exit_code, exit_file) << path << "\n" << show.output;
        EXPECT_TRUE(contains(show.output, "hint: ")) << show.output;
        // Whatever the file holds (here a private key) is never echoed.
        EXPECT_FALSE(contains(show.output, "PRIVATE KEY")) << show.output;
    }
    EXPECT_EQ(run_mqtls({"pki", "show"}).exit_code, exit_usage);
}

}  // namespace
