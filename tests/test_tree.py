from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from consultations.models import ConsultationIndexPage, ConsultationPage
from home.models import FaqPage, HomePage, StandardPage


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_page(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedSubpageTypes(HomePage, {ConsultationIndexPage, StandardPage, FaqPage})

    def test_consultation_pages(self):
        self.assertAllowedParentPageTypes(ConsultationIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(ConsultationIndexPage, {ConsultationPage})
        self.assertAllowedParentPageTypes(ConsultationPage, {ConsultationIndexPage})

    def test_standard_page_is_a_leaf(self):
        self.assertAllowedParentPageTypes(StandardPage, {HomePage})
        self.assertAllowedSubpageTypes(StandardPage, set())

    def test_faq_page_is_a_leaf_under_a_home(self):
        self.assertAllowedParentPageTypes(FaqPage, {HomePage})
        self.assertAllowedSubpageTypes(FaqPage, set())

    def test_every_page_type_declares_its_place(self):
        for model in (HomePage, StandardPage, FaqPage, ConsultationIndexPage, ConsultationPage):
            assert "parent_page_types" in model.__dict__, model
            assert "subpage_types" in model.__dict__, model
