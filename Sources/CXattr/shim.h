// Extended attributes (glibc, part of libc): not in Swift's Glibc module.
#include <sys/types.h>
#include <sys/xattr.h>
