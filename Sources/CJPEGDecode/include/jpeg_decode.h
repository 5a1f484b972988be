#ifndef MSTRAIN_JPEG_DECODE_H
#define MSTRAIN_JPEG_DECODE_H
/*
 * JPEG decoding through libjpeg with errors returned, not raised.
 *
 * libjpeg reports a fatal error by calling error_exit, which must not return; the usual
 * C answer is setjmp/longjmp, which Swift cannot use. This wrapper keeps the setjmp on the C
 * side, so a corrupt file becomes a return code and a message instead of exit().
 */
#include <stddef.h>

/* Longest message, including its terminating NUL (libjpeg's JMSG_LENGTH_MAX). */
#define MSTRAIN_JPEG_MESSAGE_LENGTH 200

/* A decoded image: interleaved 8-bit rows [height, width, channels], channels 1 (grey) or
   3 (RGB). pixels is owned by the caller once decoding succeeds; release it with
   mstrain_jpeg_free. */
typedef struct {
    unsigned char *pixels;
    int width;
    int height;
    int channels;
    char message[MSTRAIN_JPEG_MESSAGE_LENGTH];
} mstrain_jpeg_image;

/* Decodes the JPEG held in data[0 ..< size]. Returns 1 on success. Returns 0 on failure with
   image->pixels NULL and image->message describing the problem: a libjpeg error, any libjpeg
   warning about corrupt or truncated data (decoding would otherwise fill the missing part with
   grey), or a colour space other than greyscale, YCbCr or RGB. */
int mstrain_jpeg_decode(const unsigned char *data, size_t size, mstrain_jpeg_image *image);

/* Reads only the header of the JPEG held in data[0 ..< size]: sets width, height and channels
   (the channels decoding would give), leaves pixels NULL. Returns 1 on success, 0 with
   image->message as for mstrain_jpeg_decode (errors in the compressed data are not seen). */
int mstrain_jpeg_read_header(const unsigned char *data, size_t size, mstrain_jpeg_image *image);

/* Frees the pixels of a successful decode and sets them to NULL. */
void mstrain_jpeg_free(mstrain_jpeg_image *image);

#endif
