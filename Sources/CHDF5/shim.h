#ifndef MSTRAIN_CHDF5_SHIM_H
#define MSTRAIN_CHDF5_SHIM_H
#include <hdf5.h>
/* HDF5's type ids, file flags and property-list classes are macros over *_g globals, which
   Swift 6 rejects; each is wrapped in a function. H5open() makes sure the globals are set. */
static inline hid_t mstrain_h5t_native_float(void) { H5open(); return H5T_NATIVE_FLOAT; }
static inline hid_t mstrain_h5t_native_double(void) { H5open(); return H5T_NATIVE_DOUBLE; }
static inline hid_t mstrain_h5t_native_uint8(void) { H5open(); return H5T_NATIVE_UINT8; }
static inline hid_t mstrain_h5t_native_uint16(void) { H5open(); return H5T_NATIVE_UINT16; }
static inline hid_t mstrain_h5t_native_int64(void) { H5open(); return H5T_NATIVE_INT64; }
static inline hid_t mstrain_h5t_c_s1(void) { H5open(); return H5T_C_S1; }
static inline unsigned mstrain_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned mstrain_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned mstrain_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hid_t mstrain_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t mstrain_h5p_dataset_create(void) { H5open(); return H5P_DATASET_CREATE; }
static inline hid_t mstrain_h5p_file_create(void) { H5open(); return H5P_FILE_CREATE; }
static inline hsize_t mstrain_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t mstrain_h5t_variable(void) { return H5T_VARIABLE; }
/* Called once, before any other HDF5 call. Turns off HDF5's clean-up at process exit (files are
   closed explicitly; a file whose close failed, for example on a full disk, would make that
   clean-up crash) and its printing of the error stack, so that callers report failures. */
static inline herr_t mstrain_h5_initialise(void) {
    H5dont_atexit();
    H5open();
    return H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
#endif
