"""module_utils/apim.py: what the API Management modules share."""
from ansible_collections.aigateway.foundry.plugins.module_utils import apim


def test_backend_credentials_are_masked_and_the_body_kept():
    body = {"properties": {"credentials": {"header": {"api-key": ["s3cret"]}, "query": {"sig": ["q5"]},
                                           "authorization": {"scheme": "Bearer", "parameter": "tok"}}}}
    shown = apim.masked_backend(body)
    assert "s3cret" not in str(shown) and "tok" not in str(shown) and "q5" not in str(shown)
    assert shown["properties"]["credentials"]["header"] == {"api-key": apim.MASK}
    assert shown["properties"]["credentials"]["authorization"]["scheme"] == "Bearer"
    assert body["properties"]["credentials"]["header"]["api-key"] == ["s3cret"]
    assert apim.masked_backend(None) is None
    assert apim.masked_backend({"properties": {"url": "https://a"}}) == {"properties": {"url": "https://a"}}
