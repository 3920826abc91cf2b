import pyarrow.parquet as pq
import pytest

from crepe_gen.core.errors import ConfigError
from crepe_gen.core.parallel import EXECUTORS, ExecutorConfig, TaskPool, run_tasks, shared_state
from crepe_gen.systematicity.counting import VocabConfig, build_vocab, load_vocab, standin_corpus_dir


def square(x):
    return x * x


def test_local_pool_keeps_task_order():
    assert run_tasks(square, list(range(20)), ExecutorConfig("local", workers=2), progress=False) == \
        [x * x for x in range(20)]


def scaled(x):
    return x * shared_state()["factor"]


@pytest.mark.parametrize("name, workers", [("local", 1), ("local", 2),
                                           pytest.param("dask", 2, marks=pytest.mark.slow)])
def test_pool_shares_state_across_batches(name, workers):
    with TaskPool(ExecutorConfig(name, workers=workers), shared={"factor": 3}) as pool:
        assert pool.map(scaled, range(5)) == [0, 3, 6, 9, 12]
        assert pool.map(scaled, [10]) == [30]
    assert shared_state() == {}


def test_config_errors():
    with pytest.raises(ConfigError):
        ExecutorConfig("hadoop")
    with pytest.raises(ConfigError):
        ExecutorConfig("local", workers=0)
    assert set(EXECUTORS) == {"local", "dask"}


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_counts(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    standin = pq.read_table(standin_corpus_dir() / "laion400m" / "part-00000-standin.parquet")
    for shard in range(4):
        part = standin.slice(shard * 900, 900)
        pq.write_table(part, corpus / f"part-{shard}.parquet", row_group_size=300)
    local = build_vocab("laion400m", [corpus], tmp_path / "local.parquet",
                        VocabConfig(executor="local", workers=2, progress=False))
    dask = build_vocab("laion400m", [corpus], tmp_path / "dask.parquet",
                       VocabConfig(executor="dask", workers=2, progress=False))
    assert local["shards"] == dask["shards"] == 4 and dask["resumed_shards"] == 0
    assert (tmp_path / "local.parquet").read_bytes() == (tmp_path / "dask.parquet").read_bytes()
    assert sum(load_vocab(tmp_path / "dask.parquet")["object"].values()) > 1000
