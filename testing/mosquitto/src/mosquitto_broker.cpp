#include "mqtls/testing/mosquitto_broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "mqtls/host/mosquitto_config.hpp"
#include "mqtls/pki/files.hpp"
#include "mqtls/testing/spawn.hpp"

namespace mqtls::testing {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(20);
constexpr auto stop_timeout = std::chrono::seconds(3);
constexpr auto passwd_timeout = std::chrono::seconds(10);
constexpr int port_attempts = 3;
constexpr std::size_t diagnostics_tail = std::size_t{16} * 1024;

bool has_control_character(const std::string& text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            return true;
        }
    }
    return false;
}

Result<void> check_users(const BrokerOptions& options) {
    for (const auto& [name, password] : options.users) {
        if (name.empty() || name[0] == '-' || name.find(':') != std::string::npos ||
            has_control_character(name) || has_control_character(password)) {
            return Errc::invalid_argument;
        }
    }
    return ok();
}

// The whole file, or its last `max_bytes` when it is larger; empty when unreadable.
std::string read_text(const std::string& path, std::size_t offset = 0,
                      std::size_t max_bytes = std::size_t{64} * 1024 * 1024) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        return {};
    }
    file.seekg(0, std::ios::end);
    const auto end = static_cast<std::size_t>(std::max<std::streamoff>(0, file.tellg()));
    std::size_t begin = std::min(offset, end);
    if (end - begin > max_bytes) {
        begin = end - max_bytes;
    }
    file.seekg(static_cast<std::streamoff>(begin));
    std::string text(end - begin, '\0');
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, file.gcount())));
    return text;
}

std::size_t file_size(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return 0;
    }
    return static_cast<std::size_t>(info.st_size);
}

Result<void> write_text(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file) {
        return Error{Errc::file_write_failed, errno};
    }
    file << text;
    file.flush();
    if (!file) {
        return Error{Errc::file_write_failed, errno};
    }
    return ok();
}

sockaddr_in loopback4(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

sockaddr_in6 loopback6(std::uint16_t port) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    address.sin6_addr = in6addr_loopback;
    return address;
}

// Whether [::1]:port can be bound right now.
bool ipv6_port_free(std::uint16_t port) {
    const FileDescriptor socket(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (socket.get() < 0) {
        return false;
    }
    const int one = 1;
    ::setsockopt(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    const sockaddr_in6 address = loopback6(port);
    return ::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

// A port that 127.0.0.1 (and [::1] with `ipv6`) can bind right now, chosen by the kernel.
Result<std::uint16_t> pick_free_port(bool ipv6) {
    for (int attempt = 0; attempt < 20; ++attempt) {
        const FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (socket.get() < 0) {
            return Error{Errc::socket_error, errno};
        }
        sockaddr_in address = loopback4(0);
        if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) !=
            0) {
            return Error{Errc::socket_error, errno};
        }
        socklen_t length = sizeof address;
        if (::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            return Error{Errc::socket_error, errno};
        }
        const std::uint16_t port = ntohs(address.sin_port);
        if (!ipv6 || ipv6_port_free(port)) {
            return port;
        }
    }
    return Error{Errc::socket_error, EADDRINUSE};
}

// Whether a TCP connection to the loopback listener succeeds (closed again at once).
bool accepts_tcp(int family, std::uint16_t port) {
    const FileDescriptor socket(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (socket.get() < 0) {
        return false;
    }
    if (family == AF_INET6) {
        const sockaddr_in6 address = loopback6(port);
        return ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address),
                         sizeof address) == 0;
    }
    const sockaddr_in address = loopback4(port);
    return ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) ==
           0;
}

Result<void> write_password_file(const std::string& path, const BrokerOptions& options,
                                 std::string* diagnostics) {
    bool first = true;
    for (const auto& [name, password] : options.users) {
        std::vector<std::string> argv{"mosquitto_passwd"};
        if (first) {
            argv.emplace_back("-c");
        }
        argv.insert(argv.end(), {"-b", path, name, password});
        first = false;
        MQTLS_TRY_ASSIGN(const ProcessResult run, run_process(argv, passwd_timeout));
        if (!run.succeeded()) {
            const std::string message = "mqtls::testing: mosquitto_passwd failed for user '" +
                                        name + "': " + run.output + "\n";
            std::fputs(message.c_str(), stderr);
            if (diagnostics != nullptr) {
                *diagnostics = message;
            }
            return Error{Errc::socket_error, run.exit_code};
        }
    }
    return ok();
}

}  // namespace

Result<BrokerPki> BrokerPki::generate() {
    MQTLS_TRY_ASSIGN(pki::Issued ca, pki::make_self_signed(pki::ca_request("mqtls test CA")));
    MQTLS_TRY_ASSIGN(
        pki::Issued server,
        pki::issue(pki::server_request("localhost", {"localhost"}, {"127.0.0.1", "::1"}), ca));
    return BrokerPki{std::move(ca), std::move(server)};
}

MosquittoBroker::MosquittoBroker(TempDir dir, BrokerPki pki, BrokerOptions options) noexcept
    : dir_(std::move(dir)), pki_(std::move(pki)), options_(std::move(options)) {}

Result<std::unique_ptr<MosquittoBroker>> MosquittoBroker::start(const BrokerOptions& options,
                                                                std::string* diagnostics) {
    MQTLS_TRY(check_users(options));
    MQTLS_TRY_ASSIGN(TempDir dir, TempDir::create("mqtls-mosquitto-"));
    BrokerPki certificates;
    if (options.pki) {
        certificates = *options.pki;
    } else {
        MQTLS_TRY_ASSIGN(certificates, BrokerPki::generate());
    }
    MQTLS_TRY(pki::write_public_file(dir.file("ca.crt"), certificates.ca.certificate_pem));
    MQTLS_TRY(pki::write_public_file(dir.file("server.crt"), certificates.server.certificate_pem));
    MQTLS_TRY(
        pki::write_private_key_file(dir.file("server.key"), certificates.server.private_key_pem));
    if (!options.users.empty()) {
        MQTLS_TRY(write_password_file(dir.file("passwords"), options, diagnostics));
    }
    if (!options.acl.empty()) {
        MQTLS_TRY(pki::write_public_file(dir.file("acl"), options.acl));
    }

    std::unique_ptr<MosquittoBroker> broker(
        new MosquittoBroker(std::move(dir), std::move(certificates), options));
    MQTLS_TRY(broker->launch_with_retries(true, diagnostics));
    return broker;
}

MosquittoBroker::~MosquittoBroker() { (void)stop(); }

Result<void> MosquittoBroker::write_config(std::uint16_t port) {
    host::MosquittoConfig config;
    config.generated_by = "mqtls::testing::MosquittoBroker";
    config.allow_anonymous = options_.users.empty() && !options_.require_certificate;
    if (!options_.users.empty()) config.password_file = dir_.file("passwords");
    if (!options_.acl.empty()) config.acl_file = dir_.file("acl");
    if (options_.persistence) config.persistence_directory = dir_.path();
    config.log_to_stderr = false;
    config.log_file = dir_.file("mosquitto.log");
    config.log_everything = true;  // tests look for debug lines ("Denied PUBLISH from")
    config.tls12_ciphers = options_.tls12_ciphers;
    config.tls13_ciphers = options_.tls13_ciphers;
    // Tests connect several clients under one user name; binding client ids to user names
    // would make them take over each other's sessions.
    config.client_id_is_user_name = false;
    std::vector<std::string> addresses{"127.0.0.1"};
    if (options_.listen_ipv6) addresses.emplace_back("::1");
    for (const std::string& address : addresses) {
        host::MosquittoListener listener;
        listener.port = port;
        listener.address = address;
        listener.ca_file = dir_.file("ca.crt");
        listener.certificate_file = dir_.file("server.crt");
        listener.key_file = dir_.file("server.key");
        listener.require_certificate = options_.require_certificate;
        config.listeners.push_back(std::move(listener));
    }
    config.extra_config = options_.extra_config;
    return write_text(config_file(), host::mosquitto_config_text(config));
}

Result<void> MosquittoBroker::launch(std::string& failure, bool& port_taken) {
    const std::string log_path = dir_.file("mosquitto.log");
    const std::string output_path = dir_.file("mosquitto.out");
    const std::size_t log_offset = file_size(log_path);
    const std::size_t output_offset = file_size(output_path);
    port_taken = false;
    const int output = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (output < 0) {
        return Error{Errc::file_write_failed, errno};
    }
    auto spawned = spawn({"mosquitto", "-c", config_file()}, output, true);
    ::close(output);
    if (!spawned) {
        return spawned.error();
    }
    pid_ = *spawned;
    died_ = false;

    const auto fail = [&](const char* what, Error error) -> Result<void> {
        const std::string log_text = read_text(log_path, log_offset, diagnostics_tail);
        port_taken = error.code == Errc::connection_refused &&
                     log_text.find("Address already in use") != std::string::npos;
        std::ostringstream message;
        message << "mqtls::testing: mosquitto on 127.0.0.1:" << port_ << " " << what << " ("
                << name(error.code) << ", detail " << error.detail << "); directory " << dir_.path()
                << "\n---- stdout/stderr ----\n"
                << read_text(output_path, output_offset, diagnostics_tail) << "---- log ----\n"
                << log_text;
        failure = message.str();
        return error;
    };

    const auto timeout = options_.start_timeout;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto rounds = timeout / poll_interval + 2;
    for (long long round = 0; round < rounds; ++round) {
        if (const auto status = try_reap(pid_)) {
            pid_ = -1;
            return fail("exited before listening",
                        Error{Errc::connection_refused, status_code(*status)});
        }
        if (read_text(log_path, log_offset).find(" running\n") != std::string::npos &&
            accepts_tcp(AF_INET, port_) &&
            (!options_.listen_ipv6 || accepts_tcp(AF_INET6, port_))) {
            // Still ours: it did not exit while we probed.
            if (const auto status = try_reap(pid_)) {
                pid_ = -1;
                return fail("exited after listening",
                            Error{Errc::connection_refused, status_code(*status)});
            }
            return ok();
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            break;
        }
        std::this_thread::sleep_for(poll_interval);
    }
    kill_and_reap();
    return fail("did not listen in time", Error{Errc::io_timed_out});
}

Result<void> MosquittoBroker::launch_with_retries(bool new_port, std::string* diagnostics) {
    std::string failure;
    Result<void> launched = Errc::connection_refused;
    for (int attempt = 0; attempt < port_attempts; ++attempt) {
        if (new_port) {
            MQTLS_TRY_ASSIGN(port_, pick_free_port(options_.listen_ipv6));
            MQTLS_TRY(write_config(port_));
        } else if (attempt > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        bool port_taken = false;
        launched = launch(failure, port_taken);
        if (launched || !port_taken) {
            break;
        }
        // Another program holds the port (taken after pick_free_port() let it go, or since the
        // last start for restart()): try again, with a new port when we may choose one.
        std::fprintf(stderr, "mqtls::testing: port %u is taken, attempt %d of %d\n",
                     static_cast<unsigned>(port_), attempt + 1, port_attempts);
    }
    if (!launched) {
        std::fputs(failure.c_str(), stderr);
        if (diagnostics != nullptr) {
            *diagnostics = failure;
        }
    }
    return launched;
}

bool MosquittoBroker::running() {
    if (pid_ < 0) {
        return false;
    }
    if (const auto status = try_reap(pid_)) {
        pid_ = -1;
        died_ = true;
        died_status_ = status_code(*status);
        return false;
    }
    return true;
}

void MosquittoBroker::kill_and_reap() noexcept {
    if (pid_ >= 0) {
        mqtls::testing::kill_and_reap(pid_);
        pid_ = -1;
    }
}

Result<void> MosquittoBroker::stop() {
    if (!running()) {
        if (died_) {
            died_ = false;
            return Error{Errc::connection_reset, died_status_};
        }
        return ok();
    }
    ::kill(pid_, SIGTERM);
    if (wait_for_exit(pid_, stop_timeout)) {
        pid_ = -1;
        return ok();
    }
    kill_and_reap();
    return ok();
}

Result<void> MosquittoBroker::restart(std::string* diagnostics) {
    (void)stop();  // a broker that died on its own is restarted just the same
    return launch_with_retries(false, diagnostics);
}

Result<pki::Issued> MosquittoBroker::issue_client_certificate(std::string common_name) const {
    return pki::issue(pki::client_request(std::move(common_name)), pki_.ca);
}

Result<ClientCertificateFiles> MosquittoBroker::write_client_certificate(std::string common_name) {
    MQTLS_TRY_ASSIGN(pki::Issued issued, issue_client_certificate(std::move(common_name)));
    ++client_files_;
    const std::string stem = dir_.file("client-" + std::to_string(client_files_));
    ClientCertificateFiles files{std::move(issued), stem + ".crt", stem + ".key"};
    MQTLS_TRY(pki::write_public_file(files.certificate_path, files.issued.certificate_pem));
    MQTLS_TRY(pki::write_private_key_file(files.key_path, files.issued.private_key_pem));
    return files;
}

std::string MosquittoBroker::log() const {
    return "---- " + dir_.file("mosquitto.log") + " ----\n" +
           read_text(dir_.file("mosquitto.log")) + "---- mosquitto stdout/stderr ----\n" +
           read_text(dir_.file("mosquitto.out"));
}

}  // namespace mqtls::testing
