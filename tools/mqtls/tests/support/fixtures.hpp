#pragma once
/// @file
/// GoogleTest fixtures of the CLI tests: a fresh temporary directory per test, and in it a PKI
/// folder made with `mqtls pki` as a user makes one.
///
///     class CliBroker : public mqtls::cli_test::PkiFolderTest {
///     protected:
///         CliBroker() : PkiFolderTest("mqtls-broker-") {}
///     };
///     TEST_F(CliBroker, Starts) {
///         make_pki({"device-1"});
///         ... file("ca.crt") ... path("broker.out") ...
///     }
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mqtls/testing/process.hpp"
#include "programs.hpp"

namespace mqtls::cli_test {

/// A directory /tmp/<prefix>XXXXXX made before each test and removed after it. A fixture that
/// prepares more overrides set_up_in_directory(), which runs once the directory exists (a fatal
/// failure there ends SetUp, as it would in SetUp itself).
class TempDirTest : public ::testing::Test {
protected:
    explicit TempDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
    void SetUp() override;
    virtual void set_up_in_directory() {}

    /// `name` in the test's directory.
    [[nodiscard]] std::string path(const std::string& name) const { return temp_->file(name); }

    std::optional<testing::TempDir> temp_;

private:
    // For the fixtures below, before set_up_in_directory().
    virtual void name_directory_contents() {}

    std::string prefix_;
};

/// `prefix` followed by the running test's name, at most 40 characters: a device id, client id
/// and user name of its own for each test, so that one test's leftovers never count in another.
std::string device_id_for_this_test(const std::string& prefix);

/// Which keys `mqtls pki` makes for the CA and the broker.
enum class PkiKeys { ecdsa, rsa };

/// TempDirTest with pki_ = <directory>/pki, a PKI folder that make_pki() fills.
class PkiFolderTest : public TempDirTest {
protected:
    using TempDirTest::TempDirTest;

    /// `mqtls pki init`, `mqtls pki server --san localhost --san 127.0.0.1` and one
    /// `mqtls pki device` for each of `devices`, each of which must succeed (fatal failure in
    /// this function otherwise: check HasFatalFailure() when the rest depends on it).
    void make_pki(const std::vector<std::string>& devices = {"device-1"},
                  PkiKeys keys = PkiKeys::ecdsa);

    /// `name` in the PKI folder (ca.crt, device-1.key, ...).
    [[nodiscard]] std::string file(const std::string& name) const { return pki_ + "/" + name; }

    /// mqtls broker --pki PKI --port PORT followed by `more`.
    [[nodiscard]] Arguments mqtls_broker_command(std::uint16_t port,
                                                 const Arguments& more = {}) const;

    std::string pki_;
    /// What `mqtls pki server` printed (the broker's certificate and where it went).
    std::string server_output_;

private:
    void name_directory_contents() override;
};

}  // namespace mqtls::cli_test
