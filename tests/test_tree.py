from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from consultations.models import ConsultationIndexPage, ConsultationPage
from home.models import HomePage, StandardPage


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_page(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedSubpageTypes(HomePage, {ConsultationIndexPage, StandardPage})

    def test_consultation_pages(self):
        self.assertAllowedParentPageTypes(ConsultationIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(ConsultationIndexPage, {ConsultationPage})
        self.assertAllowedParentPageTypes(ConsultationPage, {ConsultationIndexPage})

    def test_standard_page_is_a_leaf(self):
        self.assertAllowedParentPageTypes(StandardPage, {HomePage})
        self.assertAllowedSubpageTypes(StandardPage, set())

    def test_every_page_type_declares_its_place(self):
        for model in (HomePage, StandardPage, ConsultationIndexPage, ConsultationPage):
            assert "parent_page_types" in model.__dict__, model
            assert "subpage_types" in model.__dict__, model
