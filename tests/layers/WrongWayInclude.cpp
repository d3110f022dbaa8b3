// Built only by the test Layers.WrongWayIncludeFailsToCompile: its library links dapscope_inspector alone, so
// this include of a higher layer (storage) must not compile.
#include "storage/TraceReader.hpp"

int WrongWayInclude()
{
    return 0;
}
