/* Writes the two JPEG fixtures described in tools/make_import_fixtures.py, which compiles and
   runs this file:  make_jpeg_fixture GREY_PATH RGB_PATH */
#include <stdio.h>
#include <jpeglib.h>

enum { SIDE = 16 };

static int write_jpeg(const char *path, int components, const unsigned char *pixels) {
    FILE *file = fopen(path, "wb");
    if (file == NULL) { perror(path); return 1; }
    struct jpeg_compress_struct info;
    struct jpeg_error_mgr errors;
    info.err = jpeg_std_error(&errors);
    jpeg_create_compress(&info);
    jpeg_stdio_dest(&info, file);
    info.image_width = SIDE;
    info.image_height = SIDE;
    info.input_components = components;
    info.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, 100, TRUE);
    for (int c = 0; c < info.num_components; c++) info.comp_info[c].h_samp_factor = info.comp_info[c].v_samp_factor = 1;
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < SIDE) {
        JSAMPROW row = (JSAMPROW)(pixels + info.next_scanline * SIDE * components);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return fclose(file) != 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s GREY_PATH RGB_PATH\n", argv[0]); return 2; }
    unsigned char grey[SIDE * SIDE], rgb[SIDE * SIDE * 3];
    for (int y = 0; y < SIDE; y++) {
        for (int x = 0; x < SIDE; x++) {
            grey[y * SIDE + x] = (unsigned char)(8 * (x + y) + 4);
            unsigned char *pixel = rgb + (y * SIDE + x) * 3;
            pixel[0] = (unsigned char)(16 * x + 8);
            pixel[1] = (unsigned char)(16 * y + 8);
            pixel[2] = 128;
        }
    }
    return write_jpeg(argv[1], 1, grey) || write_jpeg(argv[2], 3, rgb);
}
