#include "process_hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mqtls::cli {

void harden_process() noexcept {
    const rlimit no_core{0, 0};
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
        std::fprintf(stderr, "mqtls: note: could not turn core dumps off: %s\n",
                     std::strerror(errno));
    }
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        std::fprintf(stderr, "mqtls: note: could not make the process non-dumpable: %s\n",
                     std::strerror(errno));
    }
}

void wipe(std::string& secret) noexcept {
    // Through a volatile pointer: a plain fill before destruction is a dead store to the
    // optimiser.
    volatile char* bytes = secret.data();
    for (std::size_t i = 0; i < secret.size(); ++i) bytes[i] = '\0';
    secret.clear();
}

}  // namespace mqtls::cli
