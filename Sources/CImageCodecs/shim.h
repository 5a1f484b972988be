#ifndef MSTRAIN_CIMAGECODECS_SHIM_H
#define MSTRAIN_CIMAGECODECS_SHIM_H
/* PNG decoding and encoding (libpng's simplified API) and raw inflate (zlib, for .npz archives) for
   `mstrain-dist data import` and `report`. JPEG goes through the CJPEGDecode wrapper, which keeps
   libjpeg's setjmp-based error handling on the C side. */
#include <png.h>
#include <zlib.h>
#endif
