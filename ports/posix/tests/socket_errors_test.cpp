#include "socket_errors.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace mqtls::port::posix::detail {
namespace {

TEST(SocketErrors, ConnectFailuresKeepTheErrno) {
    EXPECT_EQ(connect_failure(ECONNREFUSED), (Error{Errc::connection_refused, ECONNREFUSED}));
    EXPECT_EQ(connect_failure(ETIMEDOUT), (Error{Errc::connect_timed_out, ETIMEDOUT}));
    EXPECT_EQ(connect_failure(ENETUNREACH), (Error{Errc::network_unreachable, ENETUNREACH}));
    EXPECT_EQ(connect_failure(EHOSTUNREACH), (Error{Errc::network_unreachable, EHOSTUNREACH}));
    EXPECT_EQ(connect_failure(EADDRNOTAVAIL), (Error{Errc::network_unreachable, EADDRNOTAVAIL}));
    EXPECT_EQ(connect_failure(EAFNOSUPPORT), (Error{Errc::network_unreachable, EAFNOSUPPORT}));
    EXPECT_EQ(connect_failure(EMFILE), (Error{Errc::socket_error, EMFILE}));
    EXPECT_EQ(connect_failure(EACCES), (Error{Errc::socket_error, EACCES}));
}

TEST(SocketErrors, TransferFailures) {
    EXPECT_EQ(transfer_failure(EPIPE), (Error{Errc::connection_reset, EPIPE}));
    EXPECT_EQ(transfer_failure(ECONNRESET), (Error{Errc::connection_reset, ECONNRESET}));
    EXPECT_EQ(transfer_failure(ENOTCONN), (Error{Errc::connection_reset, ENOTCONN}));
    EXPECT_EQ(transfer_failure(ETIMEDOUT), (Error{Errc::io_timed_out, ETIMEDOUT}));
    EXPECT_EQ(transfer_failure(EHOSTUNREACH), (Error{Errc::network_unreachable, EHOSTUNREACH}));
    EXPECT_EQ(transfer_failure(ENOMEM), (Error{Errc::socket_error, ENOMEM}));
}

TEST(SocketErrors, MostInformativeConnectFailureWins) {
    const Error refused{Errc::connection_refused, ECONNREFUSED};
    const Error timed_out{Errc::connect_timed_out, 0};
    const Error local{Errc::socket_error, EMFILE};
    const Error unreachable{Errc::network_unreachable, ENETUNREACH};

    // A host with an IPv6 address but no IPv6 route: the IPv4 outcome is the one that matters,
    // whichever order the resolver gave.
    EXPECT_EQ(more_informative(unreachable, refused), refused);
    EXPECT_EQ(more_informative(refused, unreachable), refused);
    EXPECT_EQ(more_informative(unreachable, timed_out), timed_out);
    EXPECT_EQ(more_informative(timed_out, unreachable), timed_out);
    EXPECT_EQ(more_informative(unreachable, local), local);

    EXPECT_EQ(more_informative(timed_out, refused), refused);
    EXPECT_EQ(more_informative(local, timed_out), timed_out);

    // Ties keep the first address's failure.
    const Error other_unreachable{Errc::network_unreachable, EHOSTUNREACH};
    EXPECT_EQ(more_informative(unreachable, other_unreachable), unreachable);
}

}  // namespace
}  // namespace mqtls::port::posix::detail
