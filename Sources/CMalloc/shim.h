// glibc's malloc.h (malloc_trim), which the Glibc module does not include.
#include <malloc.h>
