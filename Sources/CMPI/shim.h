#ifndef MSTRAIN_CMPI_SHIM_H
#define MSTRAIN_CMPI_SHIM_H
#include <mpi.h>
/* Open MPI's handles are macros that cast addresses of incomplete structs; Swift cannot
   import them, so each is wrapped in a function. */
static inline MPI_Comm mstrain_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype mstrain_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype mstrain_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype mstrain_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Op mstrain_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op mstrain_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op mstrain_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op mstrain_mpi_bxor(void) { return MPI_BXOR; }
static inline void *mstrain_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *mstrain_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int mstrain_mpi_proc_null(void) { return MPI_PROC_NULL; }
static inline MPI_Errhandler mstrain_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int mstrain_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info mstrain_mpi_info_null(void) { return MPI_INFO_NULL; }
#endif
