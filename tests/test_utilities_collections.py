import json

import pytest

from flowbook.utilities.collections import (CompoundKey, DotDict, GraphQLResult,
                                            as_nested_dict, dict_to_flatdict,
                                            flatdict_to_dict, flatten_seq, merge_dicts)


def test_a_dotdict_key_is_an_attribute_and_back():
    d = DotDict(a=1)
    d.b = 2
    assert (d["b"], d.a) == (2, 1)
    del d.a
    assert dict(d) == {"b": 2}


def test_a_dotdict_holds_keys_that_are_not_strings():
    d = DotDict({1: "one"})
    assert d[1] == "one" and len(d) == 1


@pytest.mark.parametrize("key", ["update", "items", "get"])
def test_a_dotdict_refuses_a_key_that_would_hide_a_method(key):
    with pytest.raises(ValueError, match=f"would hide the method {key}"):
        DotDict({key: 1})


def test_a_graphql_result_takes_any_key():
    result = GraphQLResult(update=1)
    assert result.update == 1


def test_a_missing_key_is_a_keyerror_and_a_missing_attribute_an_attributeerror():
    d = DotDict()
    with pytest.raises(KeyError):
        d["nothing"]
    with pytest.raises(AttributeError):
        d.nothing


def test_a_dotdict_equals_the_dict_with_its_items_and_is_not_json():
    assert DotDict(x=1) == {"x": 1}
    with pytest.raises(TypeError):
        json.dumps(DotDict(x=1))


def test_the_repr_lists_the_keys_sorted():
    assert repr(DotDict()) == "<DotDict>"
    assert repr(DotDict({"b": 1, 1: 1, "a": 1})) == "<DotDict: 'a', 'b', 1>"


def test_as_nested_dict_converts_mappings_inside_lists_too():
    nested = as_nested_dict({"a": [1, {"b": {"c": 2}}]})
    assert nested.a[1].b.c == 2
    plain = as_nested_dict(nested, dict)
    assert type(plain["a"][1]["b"]) is dict


def test_to_dict_gives_plain_dicts_all_the_way_down():
    assert DotDict(x=DotDict(y=[DotDict(z=1)])).to_dict() == {"x": {"y": [{"z": 1}]}}


def test_merge_dicts_merges_nested_mappings_and_the_second_wins():
    a = {"x": {"one": 1, "two": 2}, "z": 0}
    b = {"x": {"two": 20}, "y": 5}
    assert merge_dicts(a, b) == {"x": {"one": 1, "two": 20}, "z": 0, "y": 5}
    assert a == {"x": {"one": 1, "two": 2}, "z": 0}  # the inputs are left alone


def test_merge_dicts_keeps_the_class_of_the_first():
    assert isinstance(merge_dicts(DotDict(a=1), {"b": 2}), DotDict)


def test_flatten_seq_yields_the_items_of_nested_sequences_and_keeps_strings():
    assert list(flatten_seq([1, (2, [3]), "45"])) == [1, 2, 3, "45"]
    with pytest.raises(TypeError):
        list(flatten_seq(1))


def test_a_nested_dict_flattens_to_compound_keys_and_back():
    nested = {1: 2, 3: {4: 5, 6: {7: 8}}, 9: {}}
    flat = dict_to_flatdict(nested)
    assert flat == {CompoundKey([1]): 2, CompoundKey([3, 4]): 5, CompoundKey([3, 6, 7]): 8,
                    CompoundKey([9]): {}}
    assert flatdict_to_dict(flat) == nested


def test_a_flat_dict_can_come_back_as_dotdicts():
    restored = flatdict_to_dict(dict_to_flatdict({"a": {"x": 1}}), dct_class=DotDict)
    assert isinstance(restored.a, DotDict) and restored.a.x == 1
