#include "core/signals.hpp"

#include <atomic>
#include <csignal>

namespace dce {
namespace {

std::atomic<int> g_signal{0};

std::atomic<bool> g_reload{false};

extern "C" void on_signal(int sig) {
    g_signal.store(sig);
}

extern "C" void on_reload(int) {
    g_reload.store(true);
}

}  // namespace

bool interrupted() {
    return g_signal.load() != 0;
}
int interrupt_signal() {
    return g_signal.load();
}
void request_interrupt() {
    g_signal.store(SIGINT);
}

void install_stop_handlers() {
    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void install_reload_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_reload;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, nullptr);
}

bool take_reload_request() {
    return g_reload.exchange(false);
}

}  // namespace dce
