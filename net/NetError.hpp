#pragma once
// What net/ throws for an expected failure at its boundary: an address that is not one, a server that cannot be
// reached, a TLS file that cannot be used. what() is the one-line message for the user (docs/architecture.md
// "Errors").

#include <stdexcept>

namespace dapscope::net
{

class NetError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

} // namespace dapscope::net
