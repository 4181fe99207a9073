#include "core/context.hpp"

#include "core/signals.hpp"

namespace dce {

ToolContext::ToolContext(std::string_view tool, std::string credentials_path, int input_fd,
                         int output_fd)
    : tool_(tool),
      credentials_path_(std::move(credentials_path)),
      input_fd_(input_fd),
      output_fd_(output_fd),
      out_(output_fd),
      log_(spdlog::default_logger()),
      stop_([] { return interrupted(); }) {
    if (credentials_path_.empty()) credentials_path_ = default_credentials_path().value_or("");
}

const CredentialStore* ToolContext::credentials(std::string& error) {
    if (!credentials_) {
        CredentialStore store;
        auto kind = CredentialFileKind::plaintext;
        if (!credentials_path_.empty() &&
            !store.load_file(credentials_path_, credentials_error_, &kind)) {
            credentials_.emplace();  // loaded once: the error is kept, not retried
        } else {
            if (!credentials_path_.empty() && kind == CredentialFileKind::plaintext)
                log_->info(
                    "credentials file '{}' is plaintext, protected only by its mode; encrypt it "
                    "at rest: systemd-creds encrypt --name={} '{}' '{}.cred', then use "
                    "--credentials '{}.cred' or LoadCredentialEncrypted={}:{}.cred in a unit",
                    credentials_path_, systemd_credential_name, credentials_path_,
                    credentials_path_, credentials_path_, systemd_credential_name,
                    credentials_path_);
            store.load_environment();
            credentials_.emplace(std::move(store));
        }
    }
    if (!credentials_error_.empty()) {
        error = credentials_error_;
        return nullptr;
    }
    return &*credentials_;
}

bool ToolContext::load_credentials_text(std::string_view text, std::string& error) {
    CredentialStore store;
    if (!store.load_text(text, "<text>", error)) return false;
    credentials_.emplace(std::move(store));
    credentials_error_.clear();
    return true;
}

}  // namespace dce
