// The ESP-IDF port's RTC memory layout with the Kconfig defaults: it must leave room in the
// 8 KiB of RTC slow memory that ESP32, ESP32-C3 and ESP32-S3 have (the smallest of the chips the
// component lists), which the application and IDF share (RTC_DATA_ATTR, the ULP). platform.hpp
// is free of ESP-IDF headers for this reason: the sizes are checked where they can be.
#include <gtest/gtest.h>

#include "mqtls/port/espidf/platform.hpp"

namespace mqtls::port::espidf {
namespace {

constexpr std::size_t rtc_slow_memory_bytes = std::size_t{8} * 1024;

TEST(EspIdfRtcLayout, DefaultsLeaveTwoKibOfRtcSlowMemoryToTheApplication) {
    static_assert(rtc_session_bytes == 1536 && rtc_outbox_segment_bytes == 1024,
                  "the Kconfig defaults (ports/espidf/Kconfig) changed: update this test");
    EXPECT_LE(sizeof(RtcLayout), rtc_slow_memory_bytes - std::size_t{2} * 1024)
        << sizeof(RtcLayout);
    // Two session slots (a torn store keeps the other) and two outbox segments.
    EXPECT_GE(sizeof(RtcLayout), 2 * rtc_session_bytes + 2 * rtc_outbox_segment_bytes);
    // An RSA-2048 broker's sealed session (1,039 B with Mosquitto, bench/README.md) fits.
    EXPECT_GE(rtc_session_bytes, 1039U);
}

TEST(EspIdfRtcLayout, KconfigDefaultsWithoutAnSdkconfig) {
    // What the Arduino library (no mqtls Kconfig) and a default menuconfig get.
    EXPECT_EQ(configured_tls_version, tls::TlsVersion::tls1_2);
    EXPECT_TRUE(session_resumption);
    // The RAM copy of the sealed session is as large as RTC memory keeps, no larger.
    DeviceStorage storage;
    EXPECT_EQ(storage.memory().sealed_session.size(), rtc_session_bytes);
    EXPECT_EQ(storage.memory().record_in.size(), 1024U);
    EXPECT_EQ(storage.memory().outbox_index.size(), 64U);
}

}  // namespace
}  // namespace mqtls::port::espidf
