// Helper program of MosquittoFixture.BrokerDiesWithTheProcessThatStartedIt: starts a broker, prints
// its PID and directory, and exits without running any destructor, as a crashing test would. The
// broker must then end by itself (PR_SET_PDEATHSIG); the test removes the directory.
#include <unistd.h>

#include <cstdio>

#include "mqtls/testing/mosquitto_broker.hpp"

int main() {
    auto broker = mqtls::testing::MosquittoBroker::start();
    if (!broker) {
        std::printf("error %s\n", mqtls::name(broker.error().code));
        std::fflush(stdout);
        return 1;
    }
    std::printf("pid %d\ndir %s\n", static_cast<int>((*broker)->pid()), (*broker)->dir().c_str());
    std::fflush(stdout);
    ::_exit(0);
}
