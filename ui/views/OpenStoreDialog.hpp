#pragma once
// File > Open (Ctrl+O): a modal with the store path, the recent stores and a small folder browser (folders and
// *.db files of the folder the path points to).

#include "ui/AppContext.hpp"

#include <functional>
#include <string>
#include <vector>

namespace dapscope::ui
{

class OpenStoreDialog
{
  public:
    // `open` tries a path; what it throws (storage::StoreError: not a store) is shown in the dialog.
    OpenStoreDialog(AppContext& context, std::function<void(const std::string&)> open);

    void Open(const std::string& initialPath);
    void Draw();
    bool IsOpen() const { return m_open; }

  private:
    void ListFolder();
    void TryOpen(const std::string& path);

    AppContext& m_ctx;
    std::function<void(const std::string&)> m_openStore; // opens a store, throws StoreError
    bool m_open = false;                                 // the modal is shown (or about to be)
    bool m_justOpened = false;                           // OpenPopup next Draw
    std::string m_path;                                  // the path field
    std::string m_folder;                                // folder listed
    std::vector<std::string> m_entries;                  // its subfolders (ending in '/') and .db files
    std::string m_error;                                 // why the last open failed
};

} // namespace dapscope::ui
