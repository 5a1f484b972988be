#ifndef MSTRAIN_CIMAGECODECS_SHIM_H
#define MSTRAIN_CIMAGECODECS_SHIM_H
/* PNG and JPEG decoding for `mstrain-dist data import`. */
#include <stdio.h>
#include <png.h>
#include <jpeglib.h>
#endif
