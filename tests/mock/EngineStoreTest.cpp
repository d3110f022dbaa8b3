// rrext_store: handles, chunked binary reads, directory semantics and errors of the per-user file area.

#include "EngineTestUtil.hpp"

namespace dapscope::mock::test
{
namespace
{

class EngineStore : public ::testing::Test
{
  protected:
    void SetUp() override { m_client.Auth(); }

    Frame Store(std::string_view subcommand, boost::json::object args = {},
                std::optional<std::string> payload = std::nullopt)
    {
        args["subcommand"] = subcommand;
        return m_client.Request("rrext_store", std::move(args), std::move(payload));
    }

    void WriteFile(std::string_view path, const std::string& data)
    {
        const std::string handle(Store("fs_open", {{"path", path}, {"mode", "w"}}).Body().at("handle").as_string());
        ASSERT_EQ(Store("fs_write", {{"handle", handle}}, data).Body().at("bytesWritten"), data.size());
        ASSERT_TRUE(Store("fs_close", {{"handle", handle}, {"mode", "w"}}).Success());
    }

    EngineState m_state;          // engine under test
    TestClient m_client{m_state}; // authenticated client
};

TEST_F(EngineStore, LargeFileIsReadInFourMiBBinaryChunks)
{
    std::string data(5 * 1024 * 1024 + 3, '\0');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 7 % 251);
    WriteFile("big/blob.bin", data);

    const Frame opened = Store("fs_open", {{"path", "big/blob.bin"}, {"mode", "r"}});
    EXPECT_EQ(opened.Body().at("size"), data.size());
    const std::string handle(opened.Body().at("handle").as_string());
    std::string read;
    for (;;)
    {
        const Frame chunk = Store("fs_read", {{"handle", handle}, {"offset", read.size()}, {"length", 1 << 30}});
        ASSERT_TRUE(chunk.binary) << chunk.raw.substr(0, 200);
        EXPECT_EQ(chunk.json.at("arguments"), boost::json::object());
        EXPECT_EQ(chunk.Body().at("size"), chunk.payload.size());
        EXPECT_LE(chunk.payload.size(), 4194304u);
        if (chunk.payload.empty())
            break;
        read += chunk.payload;
    }
    EXPECT_EQ(read, data);
    // Binary headers use json.dumps spacing, like the engine.
    const std::string header = m_client.Last().messages.at(0).bytes;
    EXPECT_EQ(header.substr(0, header.find('\n')),
              R"({"type": "response", "seq": )" + std::to_string(m_client.Seq()) + R"(, "request_seq": )" +
                  std::to_string(m_client.Seq()) +
                  R"(, "command": "rrext_store", "success": true, "body": {"size": 0}, "arguments": {}})");
    EXPECT_TRUE(Store("fs_close", {{"handle", handle}}).Success());
    EXPECT_EQ(Store("fs_read", {{"handle", handle}}).Str("message"), "Invalid handle: " + handle);
}

TEST_F(EngineStore, DirectoriesStatAndRename)
{
    WriteFile("docs/a.txt", "alpha");
    WriteFile("docs/sub/b.txt", "beta");
    ASSERT_TRUE(Store("fs_mkdir", {{"path", "empty"}}).Success());

    const Frame root = Store("fs_list_dir", {{"path", ""}});
    EXPECT_EQ(root.Body().at("count"), 2);
    EXPECT_EQ(root.Body().at("entries").at(0), (boost::json::object{{"name", "docs"}, {"type", "dir"}}));
    EXPECT_EQ(root.Body().at("entries").at(1).at("name"), "empty");
    const Frame docs = Store("fs_list_dir", {{"path", "/docs/"}});
    ASSERT_EQ(docs.Body().at("count"), 2);
    EXPECT_EQ(docs.Body().at("entries").at(0).at("size"), 5);
    EXPECT_EQ(docs.Body().at("entries").at(0).at("modified").kind(), boost::json::kind::double_);

    EXPECT_EQ(Store("fs_stat", {{"path", "docs"}}).Body(), (boost::json::object{{"exists", true}, {"type", "dir"}}));
    EXPECT_EQ(Store("fs_stat", {{"path", "nope"}}).Body(), (boost::json::object{{"exists", false}}));
    EXPECT_EQ(Store("fs_stat", {{"path", "docs/a.txt"}}).Body().at("size"), 5);

    EXPECT_EQ(Store("fs_rmdir", {{"path", "docs"}}).Str("message"), "Directory not empty: docs");
    EXPECT_TRUE(Store("fs_rename", {{"old_path", "docs"}, {"new_path", "moved"}}).Success());
    EXPECT_EQ(Store("fs_stat", {{"path", "moved/sub/b.txt"}}).Body().at("size"), 4);
    EXPECT_TRUE(Store("fs_rmdir", {{"path", "moved"}, {"recursive", true}}).Success());
    EXPECT_EQ(Store("fs_stat", {{"path", "moved"}}).Body().at("exists"), false);
    EXPECT_TRUE(Store("fs_rmdir", {{"path", "empty"}}).Success());
}

TEST_F(EngineStore, Errors)
{
    EXPECT_EQ(Store("fs_open", {{"path", "missing.txt"}}).Str("message"),
              "File not found: users/local/files/missing.txt");
    EXPECT_EQ(Store("fs_delete", {{"path", "missing.txt"}}).Str("message"),
              "File not found: users/local/files/missing.txt");
    EXPECT_EQ(Store("fs_open", {{"path", "../etc/passwd"}, {"mode", "w"}}).Str("message"),
              "Path traversal not allowed: ../etc/passwd");
    EXPECT_EQ(Store("fs_rmdir", {}).Str("message"), "rmdir requires a non-empty \"path\" string");
    EXPECT_EQ(Store("fs_rename", {{"old_path", "a"}}).Str("message"),
              "rename requires a non-empty \"new_path\" string");
    EXPECT_EQ(Store("fs_seek", {}).Str("message"), "Unknown subcommand: fs_seek");
    EXPECT_EQ(m_client.Request("rrext_store", {}).Str("message"), "Subcommand is required");

    const std::string handle(Store("fs_open", {{"path", "x.txt"}, {"mode", "w"}}).Body().at("handle").as_string());
    EXPECT_EQ(Store("fs_open", {{"path", "x.txt"}, {"mode", "w"}}).Str("message"),
              "File already open for writing: x.txt");
    EXPECT_EQ(Store("fs_read", {{"handle", handle}}).Str("message"), "Wrong handle mode: expected r, got w");
    const Frame error = Store("fs_delete", {{"path", "x.txt"}});
    EXPECT_EQ(error.Str("message"), "Cannot delete file while it is open for writing: x.txt");
    EXPECT_EQ(error.json.at("trace").at("file"), "file_store.py");
}

TEST_F(EngineStore, HandlesBelongToTheirConnectionButFilesAreShared)
{
    TestClient other(m_state);
    other.Auth();
    const std::string handle(Store("fs_open", {{"path", "shared.txt"}, {"mode", "w"}}).Body().at("handle").as_string());
    Store("fs_write", {{"handle", handle}}, std::string("from one"));
    const Frame foreign =
        other.Request("rrext_store", {{"subcommand", "fs_write"}, {"handle", handle}}, std::string("from two"));
    EXPECT_EQ(foreign.Str("message"), "Handle belongs to another connection");
    // Disconnecting commits what was written, like the engine's close_all_handles.
    m_client.Connection().OnClose();
    const Frame stat = other.Request("rrext_store", {{"subcommand", "fs_stat"}, {"path", "shared.txt"}});
    EXPECT_EQ(stat.Body().at("size"), 8);
}

} // namespace
} // namespace dapscope::mock::test
