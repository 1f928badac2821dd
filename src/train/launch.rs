//! Whether an MPI launcher started this process, read from the environment it sets.

/// Variables that MPI launchers set to the job's number of processes: Open MPI's `mpirun`,
/// MPICH's and Intel MPI's Hydra (and Slurm's PMI), MVAPICH.
const SIZE_VARIABLES: [&str; 3] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"];

/// The number of processes of the MPI job that started this process (`mpirun -n N`), or
/// `None` when no MPI launcher started it. Lets a program built without the `mpi` feature
/// say so instead of training N independent copies.
pub fn launched_processes() -> Option<usize> {
    SIZE_VARIABLES
        .iter()
        .find_map(|v| std::env::var(v).ok()?.trim().parse().ok())
}
