"""Serializers (flowbook/engine/serializers.py): values to bytes and back."""

import base64
import pickle

import pytest

from flowbook.engine.serializers import PandasSerializer, PickleSerializer


def test_pickle_serializer_reads_base64_pickles_of_older_results():
    assert PickleSerializer().deserialize(base64.b64encode(pickle.dumps([1, "a"]))) == [1, "a"]


def test_pickle_serializer_reports_the_pickle_error_for_bad_bytes():
    with pytest.raises(pickle.UnpicklingError):
        PickleSerializer().deserialize(b"bad-bytes")


def test_pandas_serializer_round_trips_a_frame():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"one": [1, 2]})
    serializer = PandasSerializer("json")
    pd.testing.assert_frame_equal(serializer.deserialize(serializer.serialize(frame)), frame)


def test_pandas_serializer_refuses_a_type_pandas_cannot_both_read_and_write():
    pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="blerg"):
        PandasSerializer("blerg")
