#include "jpeg_decode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

/* libjpeg's error manager extended with the jump target of the current decode and the first
   warning seen. */
typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf failure;
    int warned;
    char warning[JMSG_LENGTH_MAX];
} error_state;

static void exit_to_caller(j_common_ptr info) {
    error_state *state = (error_state *)info->err;
    longjmp(state->failure, 1);
}

/* Keeps the first warning (msg_level −1) instead of printing it; trace messages are dropped. */
static void record_warning(j_common_ptr info, int msg_level) {
    error_state *state = (error_state *)info->err;
    if (msg_level >= 0 || state->warned) return;
    state->warned = 1;
    state->manager.format_message(info, state->warning);
}

/* Decodes data[0 ..< size] into image, or with header_only reads its header and sets width,
   height and channels only (pixels stays NULL). Returns 1 on success, 0 with image->message. */
static int decode(const unsigned char *data, size_t size, mstrain_jpeg_image *image, int header_only) {
    struct jpeg_decompress_struct info;
    error_state state;
    /* volatile: assigned after setjmp and read after a longjmp back to it. */
    unsigned char *volatile pixels = NULL;

    memset(image, 0, sizeof *image);
    info.err = jpeg_std_error(&state.manager);
    state.manager.error_exit = exit_to_caller;
    state.manager.emit_message = record_warning;
    state.warned = 0;
    if (setjmp(state.failure)) {
        state.manager.format_message((j_common_ptr)&info, image->message);
        jpeg_destroy_decompress(&info);
        free(pixels);
        return 0;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    switch (info.jpeg_color_space) {
    case JCS_GRAYSCALE:
        info.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        info.out_color_space = JCS_RGB;
        break;
    default:
        snprintf(image->message, sizeof image->message,
                 "colour space %d (CMYK or YCCK) is not supported, only greyscale and RGB", (int)info.jpeg_color_space);
        jpeg_destroy_decompress(&info);
        return 0;
    }
    if (header_only) {
        image->width = (int)info.image_width;
        image->height = (int)info.image_height;
        image->channels = info.out_color_space == JCS_GRAYSCALE ? 1 : 3;
        jpeg_destroy_decompress(&info);
        return 1;
    }
    jpeg_start_decompress(&info);
    size_t row_size = (size_t)info.output_width * (size_t)info.output_components;
    pixels = malloc(row_size * info.output_height);
    if (pixels == NULL) {
        snprintf(image->message, sizeof image->message, "out of memory for %u×%u pixels", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return 0;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + row_size * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    image->width = (int)info.output_width;
    image->height = (int)info.output_height;
    image->channels = info.output_components;
    jpeg_destroy_decompress(&info);
    if (state.warned) {
        snprintf(image->message, sizeof image->message, "corrupt or truncated data (%s)", state.warning);
        free(pixels);
        return 0;
    }
    image->pixels = pixels;
    return 1;
}

int mstrain_jpeg_decode(const unsigned char *data, size_t size, mstrain_jpeg_image *image) {
    return decode(data, size, image, 0);
}

int mstrain_jpeg_read_header(const unsigned char *data, size_t size, mstrain_jpeg_image *image) {
    return decode(data, size, image, 1);
}

void mstrain_jpeg_free(mstrain_jpeg_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
