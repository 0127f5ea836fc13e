// SwiftPM needs one source file in a C target; the wrappers are static inline in the header.
#include "ccurl.h"
