#include "fixtures.hpp"

#include <cctype>
#include <utility>

namespace mqtls::cli_test {

void TempDirTest::SetUp() {
    auto dir = testing::TempDir::create(prefix_);
    ASSERT_TRUE(dir) << "no temporary directory " << prefix_;
    temp_.emplace(std::move(*dir));
    name_directory_contents();
    set_up_in_directory();
}

std::string device_id_for_this_test(const std::string& prefix) {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string id = (prefix + (test != nullptr ? test->name() : "")).substr(0, 40);
    // A parameterized test's name ends in "/<param>": a device id takes A-Z a-z 0-9 . _ - only.
    for (char& c : id) {
        const bool allowed =
            std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
        if (!allowed) c = '-';
    }
    return id;
}

void PkiFolderTest::name_directory_contents() { pki_ = path("pki"); }

void PkiFolderTest::make_pki(const std::vector<std::string>& devices, PkiKeys keys) {
    Arguments init{"pki", "init", pki_};
    Arguments server{"pki", "server", pki_, "--san", "localhost", "--san", "127.0.0.1"};
    if (keys == PkiKeys::rsa) {
        init.emplace_back("--rsa");
        server.emplace_back("--rsa");
    }
    const ProcessResult made_ca = run_mqtls(init);
    ASSERT_EQ(made_ca.exit_code, 0) << made_ca.output;
    const ProcessResult made_server = run_mqtls(server);
    ASSERT_EQ(made_server.exit_code, 0) << made_server.output;
    server_output_ = made_server.output;
    for (const auto& device : devices) {
        const ProcessResult made = run_mqtls({"pki", "device", pki_, device});
        ASSERT_EQ(made.exit_code, 0) << made.output;
    }
}

Arguments PkiFolderTest::mqtls_broker_command(std::uint16_t port, const Arguments& more) const {
    return concat(mqtls({"broker", "--pki", pki_, "--port", std::to_string(port)}), more);
}

}  // namespace mqtls::cli_test
