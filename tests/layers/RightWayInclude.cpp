// Built only by the test Layers.RightWayIncludeCompiles: the twin of WrongWayInclude.cpp, with the include of a
// library its target links (dapscope_inspector). It must compile.
#include "inspector/Types.hpp"

int RightWayInclude()
{
    return static_cast<int>(dapscope::inspector::Direction::ClientToServer);
}
