// Azure IoT Hub SAS tokens, against known answers computed independently (Python's hmac,
// base64 and urllib.parse.quote(safe='') over the same inputs), and the refusals.
#include "mqtls/tls/azure_sas.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mqtls::tls {
namespace {

std::string token(std::string_view resource, std::string_view key, std::int64_t expiry) {
    char out[max_azure_sas_token_size];
    auto made = azure_sas_token(resource, key, expiry, span<char>(out, sizeof out));
    EXPECT_TRUE(made) << (made ? "" : name(made.error().code));
    return made ? std::string(out, *made) : std::string();
}

TEST(AzureSas, TokensMatchAnIndependentImplementation) {
    // "this is a test key for dev-1 !!" as a Base64 device key.
    EXPECT_EQ(token("myhub.azure-devices.net/devices/dev-1",
                    "dGhpcyBpcyBhIHRlc3Qga2V5IGZvciBkZXYtMSAhIQ==", 1893456000),
              "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev-1"
              "&sig=QWu32%2BjlbLWt4A841gRoU5k8%2FqF0hwnaodOOxE3x830%3D&se=1893456000");
    // Unreserved characters (- _ . ~) stay; the key is 32 bytes 0..31.
    EXPECT_EQ(token("Hub-7.azure-devices.net/devices/sensor_~x",
                    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1),
              "SharedAccessSignature sr=Hub-7.azure-devices.net%2Fdevices%2Fsensor_~x"
              "&sig=QlY4GS8xU6gKdyNTF%2B%2FrPD92LV%2FrIjhMKl7Z0E9CIzE%3D&se=1");
}

TEST(AzureSas, BadInputIsRefusedWithWhichPart) {
    char out[max_azure_sas_token_size];
    const span<char> room(out, sizeof out);
    const std::string resource = "myhub.azure-devices.net/devices/dev-1";
    const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    EXPECT_EQ(azure_sas_token("", key, 10, room).error(), (Error{Errc::invalid_argument, 1}));
    EXPECT_EQ(azure_sas_token(std::string(257, 'r'), key, 10, room).error(),
              (Error{Errc::invalid_argument, 1}));
    EXPECT_EQ(azure_sas_token(resource, "", 10, room).error(), (Error{Errc::invalid_argument, 2}));
    EXPECT_EQ(azure_sas_token(resource, "not base64!", 10, room).error(),
              (Error{Errc::invalid_argument, 2}));
    EXPECT_EQ(azure_sas_token(resource, std::string(100, 'A'), 10, room).error(),
              (Error{Errc::invalid_argument, 2}));  // 75 bytes: longer than any IoT Hub key
    EXPECT_EQ(azure_sas_token(resource, key, 0, room).error(), (Error{Errc::invalid_argument, 3}));
    char small[40];
    EXPECT_EQ(azure_sas_token(resource, key, 10, span<char>(small, sizeof small)).error().code,
              Errc::buffer_too_small);
}

TEST(AzureSas, TheLongestResourceFitsTheDocumentedRoom) {
    // Every character escaped: 3 x 256 in sr=, and the rest.
    const std::string resource(256, '/');
    const std::string made =
        token(resource, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 9'999'999'999);
    EXPECT_LE(made.size(), max_azure_sas_token_size);
    EXPECT_EQ(made.rfind("&se=9999999999"), made.size() - 14);
}

}  // namespace
}  // namespace mqtls::tls
